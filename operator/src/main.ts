// knd operator entry point: flags (config.ts) -> startOperator(); SIGTERM/SIGINT -> graceful stop
// (release the Lease so a standby takes over at once). Exits 0 after --help, 1 when leadership is
// lost (restart re-campaigns) and 2 on bad flags (with the reason).
import { defaultEndpoint } from '../../lib/kube/kube-endpoint.js';
import { reportFlags } from '../../lib/util/flags.js';
import { createLogger } from '../../lib/util/logger.js';
import { operatorUsage, parseOperatorConfig } from './config.js';
import { startOperator } from './start.js';

const parsed = parseOperatorConfig(process.argv.slice(2), process.env);
if (parsed.kind !== 'ok') {
  process.exit(
    reportFlags('knd-operator', operatorUsage(), parsed, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
  );
}
const f = parsed.config;
const logger = createLogger({ level: f.logLevel, component: 'knd-operator' });
// Not client-node's KubeConfig: importing it loads every generated model (docs/operator.md, "Memory").
const kc = defaultEndpoint(f.kubeconfig);

const op = await startOperator({
  kubeConfig: kc,
  logger,
  healthPort: f.healthPort,
  ...(f.metricsPort !== undefined ? { metricsPort: f.metricsPort } : {}),
  leaderElection: f.leaderElection,
  leaseNamespace: f.leaseNamespace,
  leaseName: f.leaseName,
  leaseDurationMs: f.leaseDurationMs,
  renewDeadlineMs: f.renewDeadlineMs,
  retryPeriodMs: f.retryPeriodMs,
  workers: f.workers,
  defaultMetrics: true,
  ...(f.identity ? { identity: f.identity } : {}),
  onLostLease: () => {
    logger.error('leadership lost; exiting');
    process.exit(1);
  },
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal: sig });
    op.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: (err as Error).message });
        process.exit(1);
      },
    );
  });
}
