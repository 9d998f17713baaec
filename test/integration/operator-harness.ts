// Shared helpers for the operator's integration suites (test/integration/operator-*.test.ts):
// a KubeConfig from KND_KUBECONFIG (set by the jest global setup of the control-plane harness),
// CRD installation, an in-process operator with request counting, polling, fake nodes and slices.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { allCrds } from '../../lib/api/crd-schema.js';
import { isNotFound } from '../../lib/kube/errors.js';
import { KubeRestClient, type RequestRecord } from '../../lib/kube/rest-client.js';
import { silentLogger, createLogger } from '../../lib/util/logger.js';
import { testKubeConfig } from '../support/kube.js';
import { startOperator, type OperatorOptions, type RunningOperator } from '../../operator/src/start.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** The harness's admin KubeConfig (KND_KUBECONFIG from the jest global setup). */
export function operatorKubeConfig(): KubeConfig {
  return testKubeConfig();
}

export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export function adminClient(kc = operatorKubeConfig()): KubeRestClient {
  return new KubeRestClient(kc, { fieldManager: 'knd-test' });
}

/** Install (server-side apply) the generated CRDs and wait until both are Established. */
export async function installCrds(c: KubeRestClient): Promise<void> {
  for (const crd of allCrds()) {
    await c.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd);
  }
  await waitFor('CRDs established', async () => {
    for (const crd of allCrds()) {
      const o = await c.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      if (!o.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) return false;
    }
    return true;
  });
}

/** Polls until `fn` returns a truthy value; throws with `what` and the last value on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | false | undefined>,
  timeoutMs = 30_000,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface CountedOperator extends RunningOperator {
  requests: RequestRecord[];
}

export async function inProcessOperator(extra: Partial<OperatorOptions> = {}): Promise<CountedOperator> {
  const requests: RequestRecord[] = [];
  const op = await startOperator({
    kubeConfig: operatorKubeConfig(),
    logger: process.env['KND_TEST_LOG'] ? createLogger({ level: 'debug' }) : silentLogger(),
    leaseName: uniq('knd-op-test'),
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    sliceDebounceMs: 100,
    onRequest: (r) => requests.push(r),
    ...extra,
  });
  return Object.assign(op, { requests });
}

export async function ensureNamespace(c: KubeRestClient, name: string): Promise<void> {
  await c.apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export async function deleteIfExists(c: KubeRestClient, path: string): Promise<void> {
  await c.delete(path).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
}

/** A fake Node (no kubelet) the scheduler can place pods on. */
export async function createFakeNode(c: KubeRestClient, name: string): Promise<void> {
  await c.apply(`/api/v1/nodes/${name}`, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  });
  await c.apply(`/api/v1/nodes/${name}/status`, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: {
      capacity: { cpu: '64', memory: '256Gi', pods: '250' },
      allocatable: { cpu: '64', memory: '256Gi', pods: '250' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'fake node for knd operator tests',
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    },
  });
  // the TaintNodesByCondition admission adds node.kubernetes.io/not-ready at creation; nothing
  // (no kubelet, no node-lifecycle controller) would lift it
  await c.request(
    'patch',
    'PATCH',
    `/api/v1/nodes/${name}`,
    { spec: { taints: null } },
    'application/merge-patch+json',
  );
}

export interface FakeDevice {
  name: string;
  attributes: Record<string, { string?: string; int?: number; bool?: boolean }>;
}

export async function publishSlice(
  c: KubeRestClient,
  name: string,
  driver: string,
  node: string,
  devices: FakeDevice[],
): Promise<void> {
  await c.apply(`/apis/resource.k8s.io/v1/resourceslices/${name}`, {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceSlice',
    metadata: { name },
    spec: { driver, nodeName: node, pool: { name: node, generation: 1, resourceSliceCount: 1 }, devices },
  });
}

/** Every YAML document under examples/ (kustomization files excluded). */
export function exampleDocuments(files: readonly string[]): { file: string; doc: Record<string, unknown> }[] {
  const out: { file: string; doc: Record<string, unknown> }[] = [];
  for (const f of files) {
    const text = readFileSync(join(repoRoot, f), 'utf8');
    for (const d of text.split(/^---$/m)) {
      const doc = load(d);
      if (doc && typeof doc === 'object') out.push({ file: f, doc: doc as Record<string, unknown> });
    }
  }
  return out;
}
