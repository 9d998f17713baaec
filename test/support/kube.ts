// Shared helpers for suites that run against the real control plane started by the jest global
// setup (test/support/global-setup.ts).
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';

/** Admin KubeConfig of the test control plane. Throws with a reason when the setup did not run. */
export function testKubeConfig(): KubeConfig {
  const file = process.env['KND_KUBECONFIG'];
  if (!file) {
    throw new Error(
      'KND_KUBECONFIG is not set: the jest global setup (test/support/global-setup.ts) did not start the control plane',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** A DNS-label-safe name unique to this run: `<prefix>-<6 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Poll `fn` until it returns a value other than undefined; fail with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Creates namespace `name` and waits until the controller-manager made its `default` ServiceAccount:
 * before that the ServiceAccount admission plugin rejects every pod in it ("serviceaccount default
 * not found"), which right after a cold start of the control plane takes a few seconds.
 */
export async function createNamespaceReady(
  kc: KubeConfig,
  name: string,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    `the default ServiceAccount of namespace ${name}`,
    async () => {
      const list = await core.listNamespacedServiceAccount({ namespace: name });
      return list.items.some((sa) => sa.metadata?.name === 'default') ? true : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 60_000 },
  );
}

/**
 * A Node the scheduler will place pods on (no kubelet: status written as a kubelet would). The
 * TaintNodesByCondition admission plugin taints every new Node not-ready and the node lifecycle
 * controller that would lift it is off in this harness, so the taint is cleared here.
 */
export async function createFakeNode(core: CoreV1Api, name: string): Promise<void> {
  const status = {
    capacity: { cpu: '64', memory: '64Gi', pods: '500' },
    allocatable: { cpu: '64', memory: '64Gi', pods: '500' },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'fake node for DRA tests',
        lastHeartbeatTime: new Date(),
        lastTransitionTime: new Date(),
      },
    ],
  };
  await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name } } } });
  // merge patches, not read-modify-write: controllers touch a new Node concurrently (409 Conflict)
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  await core.patchNode({ name, body: { spec: { taints: null } } }, merge);
  await core.patchNodeStatus({ name, body: { status } }, merge);
}
