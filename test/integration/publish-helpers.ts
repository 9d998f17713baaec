// Shared helpers of the publish-*.test.ts integration suites (not a test file).
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { isNotFound } from '../../lib/kube/errors.js';
import { KubeRestClient, resourcePath } from '../../lib/kube/rest-client.js';
import { RESOURCE_API_VERSION, type ResourceSlice } from '../../node-agent/src/publish/slice-builder.js';
import { decodeManagedSlice } from '../../node-agent/src/publish/slice-decode.js';

export function kubeConfig(): KubeConfig {
  const path = process.env['KND_KUBECONFIG'];
  if (!path)
    throw new Error(
      'KND_KUBECONFIG is not set: the integration global setup did not start the control plane',
    );
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export const suffix = (): string => randomBytes(3).toString('hex');

/** lib/kube's client, as the publisher uses it (wire JSON). */
export const restClient = (kc: KubeConfig): KubeRestClient =>
  new KubeRestClient(kc, { fieldManager: 'knd-test' });

export const slicePath = (name?: string): string =>
  resourcePath(RESOURCE_API_VERSION, 'resourceslices', undefined, name);

export function nodeBody(name: string): V1Node {
  return { metadata: { name } };
}

export class FakeNodes {
  readonly names: string[] = [];
  private readonly core: CoreV1Api;
  private readonly rest: KubeRestClient;
  constructor(core: CoreV1Api, rest: KubeRestClient) {
    this.core = core;
    this.rest = rest;
  }

  async create(prefix: string): Promise<{ name: string; uid: string }> {
    const name = `${prefix}-${suffix()}`;
    const n = await this.core.createNode({ body: nodeBody(name) });
    this.names.push(name);
    return { name, uid: n.metadata?.uid ?? '' };
  }

  /** Delete the nodes and their slices (slices first: no garbage collector may be running). */
  async cleanup(): Promise<void> {
    for (const n of this.names.splice(0)) {
      for (const s of await slicesOf(this.rest, n)) await this.rest.delete(slicePath(s.metadata.name));
      try {
        await this.core.deleteNode({ name: n });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

export async function slicesOf(rest: KubeRestClient, node: string): Promise<ResourceSlice[]> {
  const l = await rest.listAll(slicePath(), decodeManagedSlice, {
    fieldSelector: `spec.driver=${DRIVER_NAME},spec.nodeName=${node}`,
  });
  return l.items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** Poll `probe` every intervalMs until it returns true; resolves with the elapsed ms or rejects at timeoutMs. */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 25,
): Promise<number> {
  const start = Date.now();
  let lastErr: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      if (await probe()) return Date.now() - start;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `${what}: not within ${timeoutMs} ms${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`,
  );
}
