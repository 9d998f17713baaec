// knd operator entry point: flags -> startOperator(); SIGTERM/SIGINT -> graceful stop (release the
// Lease so a standby takes over at once). Exits 1 when leadership is lost (restart re-campaigns).
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { createLogger } from '../../lib/util/logger.js';
import { startOperator } from './start.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'health-port': { type: 'string', default: '8081' },
    'lease-namespace': { type: 'string', default: 'kube-system' },
    'lease-name': { type: 'string', default: 'knd-operator' },
    workers: { type: 'string', default: '4' },
    'log-level': { type: 'string', default: 'info' },
    identity: { type: 'string' },
  },
});

const logger = createLogger({ level: values['log-level'], component: 'knd-operator' });
const kc = new KubeConfig();
if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
else kc.loadFromDefault();

const op = await startOperator({
  kubeConfig: kc,
  logger,
  healthPort: Number(values['health-port']),
  leaseNamespace: values['lease-namespace'],
  leaseName: values['lease-name'],
  workers: Number(values.workers),
  defaultMetrics: true,
  ...(values.identity ? { identity: values.identity } : {}),
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
