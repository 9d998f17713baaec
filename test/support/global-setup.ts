// Jest global setup of the `integration` project: starts the real control plane once per run
// (test/cluster/up.sh: etcd, kube-apiserver, kube-controller-manager, kube-scheduler; reused when one
// is already running from $KND_RUN_DIR) and hands its admin kubeconfig to every suite as
// KND_KUBECONFIG. Fails the whole run, with up.sh's message, when the control plane cannot start.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export default function globalSetup(): Promise<void> {
  const wasRunning = spawnSync(
    'bash',
    ['-c', '. test/cluster/lib.sh; . test/cluster/cp-lib.sh; control_plane_healthy'],
    {
      cwd: root,
      stdio: 'ignore',
    },
  );
  const up = spawnSync('bash', [join(root, 'test/cluster/up.sh')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 45 * 60 * 1000,
  });
  if (up.status !== 0) {
    return Promise.reject(
      new Error(
        `the real control plane did not start (test/cluster/up.sh exited ${String(up.status ?? up.signal)}); see its message above`,
      ),
    );
  }
  const kubeconfig = up.stdout.trim().split('\n').pop() ?? '';
  if (!kubeconfig) return Promise.reject(new Error('test/cluster/up.sh printed no kubeconfig path'));
  process.env['KND_KUBECONFIG'] = kubeconfig;
  // teardown stops only what this run started; a cluster the developer left running stays up
  process.env['KND_CLUSTER_STARTED_BY_JEST'] = wasRunning.status === 0 ? '' : '1';
  return Promise.resolve();
}
