// knd operator entry point: flags -> startOperator(); SIGTERM/SIGINT -> graceful stop (release the
// Lease so a standby takes over at once). Exits 1 when leadership is lost (restart re-campaigns)
// and 2 on bad flags (with the reason).
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { createLogger } from '../../lib/util/logger.js';
import { startOperator } from './start.js';

function parseFlags(): ReturnType<typeof parse> {
  try {
    return parse();
  } catch (err) {
    process.stderr.write(`knd-operator: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

function parse() {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'health-port': { type: 'string', default: '8081' },
      'metrics-port': { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'lease-namespace': { type: 'string', default: 'kube-system' },
      'lease-name': { type: 'string', default: 'knd-operator' },
      'lease-duration-seconds': { type: 'string', default: '15' },
      'renew-deadline-seconds': { type: 'string', default: '10' },
      'retry-period-seconds': { type: 'string', default: '2' },
      workers: { type: 'string', default: '4' },
      'log-level': { type: 'string', default: 'info' },
      identity: { type: 'string' },
    },
  });
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name}: want a number >= ${min}, got ${String(v)}`);
    return n;
  };
  const le = values['leader-elect'];
  if (le !== 'true' && le !== 'false') throw new Error(`--leader-elect: want true or false, got ${le}`);
  return {
    kubeconfig: values.kubeconfig,
    identity: values.identity,
    logLevel: values['log-level'],
    healthPort: num('health-port', values['health-port'], 0),
    metricsPort:
      values['metrics-port'] === undefined ? undefined : num('metrics-port', values['metrics-port'], 0),
    leaderElection: le === 'true',
    leaseNamespace: values['lease-namespace'],
    leaseName: values['lease-name'],
    leaseDurationMs: num('lease-duration-seconds', values['lease-duration-seconds'], 1) * 1000,
    renewDeadlineMs: num('renew-deadline-seconds', values['renew-deadline-seconds'], 1) * 1000,
    retryPeriodMs: num('retry-period-seconds', values['retry-period-seconds'], 0.1) * 1000,
    workers: num('workers', values.workers, 1),
  };
}

const f = parseFlags();
const logger = createLogger({ level: f.logLevel, component: 'knd-operator' });
const kc = new KubeConfig();
if (f.kubeconfig) kc.loadFromFile(f.kubeconfig);
else kc.loadFromDefault();

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
