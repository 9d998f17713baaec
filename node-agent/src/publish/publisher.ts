// Publishes one node's devices as ResourceSlices and keeps them converged.
//
// Contract:
// - Caller: node-agent main, feeding `update(devices)` from the inventory's onChange; the DRA
//   plugin calls `resync()` after (re)registering with the kubelet, which deletes a node's slices
//   when a plugin goes away (the kubelet's DRA manager; k8s.io/dynamic-resource-allocation resourceslice).
// - Each reconcile: LIST the node's slices of this driver (field selector), build the desired slices
//   at the highest existing generation; if anything differs, rebuild at generation+1 and
//   create/replace/delete. Stale slices of an earlier run (other names, a larger split) are deleted
//   by the first reconcile. Idempotent: re-running after a partial failure converges.
// - API: lib/kube's REST client with plain wire JSON (slice-builder's shape; read back through
//   slice-decode.ts); errors read through lib/kube/errors.ts. No writes when nothing changed.
// - Time limits: every API call is abandoned after requestTimeoutMs (default 10 s).
// - Retry: a failed reconcile is retried with exponential backoff and jitter (500 ms doubling to
//   10 s, each delay drawn from [d/2, d]: lib/util/backoff.ts; reset on success); a periodic resync (default 60 s) repairs external changes. The
//   apiserver being down never stops the loop or the process; it converges when the apiserver returns.
// - Device taints: the first write carrying taints tells whether the apiserver serves them
//   (taint-support.ts). If it drops them, the publisher logs that once, labels its slices
//   knd.dev/device-taints=unsupported and publishes without taints until the agent restarts.
// - Never: write slices of another node or driver; crash the agent.
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import { isNotFound } from '../../../lib/kube/errors.js';
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { KubeRestClient, resourcePath } from '../../../lib/kube/rest-client.js';
import { Backoff } from '../../../lib/util/backoff.js';
import type { Logger } from '../../../lib/util/logger.js';
import { wrap } from '../../../lib/util/result.js';
import {
  buildSlices,
  RESOURCE_API_VERSION,
  type OwnerNode,
  type ResourceSlice,
  type SliceDevice,
} from './slice-builder.js';
import { decodeManagedSlice } from './slice-decode.js';
import { diffSlices, maxGeneration, type SliceAction } from './slice-diff.js';
import {
  labelUnsupported,
  taintSupportFromWrite,
  withoutTaints,
  type TaintSupport,
} from './taint-support.js';

export interface PublisherOptions {
  kubeConfig: KubeEndpoint;
  nodeName: string;
  driverName: string;
  logger: Logger;
  requestTimeoutMs?: number;
  resyncIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Split threshold (tests); default and maximum 128. */
  maxDevicesPerSlice?: number;
}

export interface PublisherStatus {
  /** Generation of the pool as last written or confirmed; 0 before the first success. */
  generation: number;
  sliceCount: number;
  lastError?: string;
  /** Consecutive failed reconciles. */
  failures: number;
  /** True when the last reconcile succeeded and no update is pending. */
  synced: boolean;
  /** Device taints: not known yet, kept by the apiserver, or dropped by it. */
  taints: TaintSupport;
}

export interface Publisher {
  update(devices: readonly SliceDevice[]): void;
  /** Re-check the apiserver now (e.g. after kubelet re-registration). */
  resync(): void;
  status(): PublisherStatus;
  /** Resolves once the latest update is published; rejects after timeoutMs. */
  waitForSync(timeoutMs: number): Promise<PublisherStatus>;
  /** Stop the loop. With deleteSlices, remove this node's slices first (best effort, logged). */
  stop(opts?: { deleteSlices?: boolean }): Promise<void>;
}

const slicePath = (name?: string): string =>
  resourcePath(RESOURCE_API_VERSION, 'resourceslices', undefined, name);

export function startPublisher(opts: PublisherOptions): Publisher {
  const log = opts.logger;
  const client = new KubeRestClient(opts.kubeConfig, {
    fieldManager: FIELD_MANAGER_AGENT,
    timeoutMs: opts.requestTimeoutMs ?? 10_000,
  });
  const fieldSelector = `spec.driver=${opts.driverName},spec.nodeName=${opts.nodeName}`;

  // Nothing is written before the first update(): publishing an empty pool first would make
  // the scheduler see the node's devices vanish for a moment after every agent restart.
  let desired: readonly SliceDevice[] | undefined;
  let dirty = false;
  let running = false;
  let stopped = false;
  const backoff = new Backoff({ baseMs: opts.initialBackoffMs ?? 500, maxMs: opts.maxBackoffMs ?? 10_000 });
  let retryTimer: NodeJS.Timeout | undefined;
  let owner: OwnerNode | undefined;
  let lastGeneration = 0;
  let warnedNoNode = false;
  const st: PublisherStatus = { generation: 0, sliceCount: 0, failures: 0, synced: false, taints: 'unknown' };

  /** Learn taint support from what a write returned; on a drop, log once and publish again without. */
  const noteWrite = (sent: ResourceSlice, returned: unknown): void => {
    const seen = taintSupportFromWrite(sent, returned);
    if (seen === undefined || st.taints === 'dropped') return;
    if (seen === 'dropped') {
      log.warn(
        'the apiserver dropped the device taints of a ResourceSlice (DRADeviceTaints not enabled); publishing without taints, devices stay schedulable while unhealthy',
        { slice: sent.metadata.name },
      );
      dirty = true;
    }
    st.taints = seen;
  };
  let syncWaiters: { resolve: (s: PublisherStatus) => void }[] = [];
  let loopDone: Promise<void> = Promise.resolve();

  const call = <T>(p: Promise<T>, what: string): Promise<T> =>
    p.catch((e: unknown) => Promise.reject(wrap(what, e)));

  const listSlices = async (): Promise<ResourceSlice[]> =>
    (await call(client.listAll(slicePath(), decodeManagedSlice, { fieldSelector }), 'list ResourceSlices'))
      .items;

  const lookupOwner = async (): Promise<void> => {
    if (owner) return;
    try {
      const node = await call(
        client.get<{ metadata?: { uid?: string } }>(resourcePath('v1', 'nodes', undefined, opts.nodeName)),
        `get node ${opts.nodeName}`,
      );
      if (node.metadata?.uid) owner = { name: opts.nodeName, uid: node.metadata.uid };
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (!warnedNoNode)
        log.warn('node object not found; publishing slices without an owner reference', {
          node: opts.nodeName,
        });
      warnedNoNode = true;
    }
  };

  const apply = async (a: SliceAction): Promise<void> => {
    if (a.op === 'create') {
      noteWrite(
        a.slice,
        await call(client.create(slicePath(), a.slice), `create ResourceSlice ${a.slice.metadata.name}`),
      );
    } else if (a.op === 'replace') {
      const body = { ...a.slice, metadata: { ...a.slice.metadata, resourceVersion: a.resourceVersion } };
      noteWrite(
        a.slice,
        await call(
          client.update(slicePath(a.slice.metadata.name), body),
          `replace ResourceSlice ${a.slice.metadata.name}`,
        ),
      );
    } else {
      try {
        await call(client.delete(slicePath(a.name)), `delete ResourceSlice ${a.name}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  };

  const reconcile = async (): Promise<void> => {
    await lookupOwner();
    const existing = await listSlices();
    const dropped = st.taints === 'dropped';
    const devices = dropped ? withoutTaints(desired ?? []) : (desired ?? []);
    const build = (generation: number): ResourceSlice[] => {
      const built = buildSlices({ ...base, generation });
      return dropped ? labelUnsupported(built) : built;
    };
    const base = {
      driverName: opts.driverName,
      nodeName: opts.nodeName,
      devices,
      ...(owner ? { owner } : {}),
      ...(opts.maxDevicesPerSlice ? { maxDevicesPerSlice: opts.maxDevicesPerSlice } : {}),
    };
    // Monotonic within this process even when slices were deleted behind our back.
    const current = Math.max(maxGeneration(existing), lastGeneration);
    let slices = build(Math.max(current, 1));
    let actions = diffSlices(slices, existing);
    if (actions.length > 0 || current === 0) {
      slices = build(current + 1);
      actions = diffSlices(slices, existing);
    }
    for (const a of actions) await apply(a);
    if (actions.length > 0) {
      log.info('published ResourceSlices', {
        node: opts.nodeName,
        generation: slices[0]?.spec.pool.generation,
        slices: slices.length,
        devices: devices.length,
        actions: actions.map((a) => `${a.op} ${a.op === 'delete' ? a.name : a.slice.metadata.name}`),
      });
    }
    st.generation = slices[0]?.spec.pool.generation ?? 0;
    lastGeneration = st.generation;
    st.sliceCount = slices.length;
  };

  const loop = async (): Promise<void> => {
    running = true;
    try {
      while (dirty && !stopped) {
        dirty = false;
        try {
          await reconcile();
          st.failures = 0;
          delete st.lastError;
          backoff.reset();
        } catch (e) {
          st.failures++;
          st.lastError = (e as Error).message;
          dirty = true;
          const delay = backoff.next();
          log.warn('publishing ResourceSlices failed; retrying', {
            error: st.lastError,
            retryInMs: delay,
            failures: st.failures,
          });
          retryTimer = setTimeout(kick, delay);
          return;
        }
      }
      st.synced = !dirty;
      if (st.synced) {
        const w = syncWaiters;
        syncWaiters = [];
        for (const x of w) x.resolve({ ...st });
      }
    } finally {
      running = false;
    }
  };

  function kick(): void {
    retryTimer = undefined;
    if (stopped || running) return;
    loopDone = loop();
  }

  const markDirty = (): void => {
    if (desired === undefined) return;
    dirty = true;
    st.synced = false;
    if (!running && !retryTimer) kick();
  };

  const resyncTimer = setInterval(markDirty, opts.resyncIntervalMs ?? 60_000);
  resyncTimer.unref();

  return {
    update(devices) {
      desired = [...devices];
      markDirty();
    },
    resync: markDirty,
    status: () => ({ ...st }),
    waitForSync(ms) {
      if (desired !== undefined && st.synced && !dirty && !running) return Promise.resolve({ ...st });
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          syncWaiters = syncWaiters.filter((w) => w !== entry);
          reject(
            new Error(`ResourceSlices not synced within ${ms} ms (last error: ${st.lastError ?? 'none'})`),
          );
        }, ms);
        const entry = {
          resolve: (s: PublisherStatus) => {
            clearTimeout(t);
            resolve(s);
          },
        };
        syncWaiters.push(entry);
      });
    },
    async stop(o = {}) {
      stopped = true;
      clearInterval(resyncTimer);
      if (retryTimer) clearTimeout(retryTimer);
      await loopDone;
      if (o.deleteSlices) {
        try {
          for (const s of await listSlices()) await apply({ op: 'delete', name: s.metadata.name });
        } catch (e) {
          log.warn('deleting ResourceSlices at stop failed', { error: (e as Error).message });
        }
      }
    },
  };
}
