// Jest global teardown: stops the control plane and the node tier (kubelet, containerd) when the
// global setup started them, so a test run leaves no process behind. Set KND_KEEP_CLUSTER=1 to keep
// them for debugging (stop later with npm run cluster:down).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function globalTeardown(): Promise<void> {
  if (process.env['KND_CLUSTER_STARTED_BY_JEST'] !== '1' || process.env['KND_KEEP_CLUSTER'] === '1') {
    return Promise.resolve();
  }
  const root = join(import.meta.dirname, '..', '..');
  const down = spawnSync('bash', [join(root, 'test/cluster/down.sh')], {
    stdio: 'inherit',
    timeout: 120_000,
  });
  return down.status === 0 ? Promise.resolve() : Promise.reject(new Error('test/cluster/down.sh failed'));
}
