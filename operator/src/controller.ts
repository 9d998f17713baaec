// The reconcile loop: informers on the two CRDs, DeviceClasses, knd's ResourceClaimTemplates and
// ResourceSlices feed a rate-limited work queue; workers decide (pure) and execute (I/O) one key at a
// time. Runs only while this replica leads (start()/stop() are called by leader election).
//
// Keys: `ndc/<name>` and `np/<namespace>/<name>`. A failed key is retried with per-key exponential
// backoff; a success forgets it. Slice changes are debounced (sliceDebounceMs) into one re-enqueue
// of everything, since match counts may change; with nothing to change that costs zero writes.
import {
  API_GROUP_VERSION,
  KIND_NETWORK_DEVICE_CLASS,
  KIND_NETWORK_PROFILE,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
} from '../../lib/api/constants.js';
import type { NetworkDeviceClass } from '../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../lib/api/network-profile.js';
import type { Decode, KubeObject } from '../../lib/kube/decode.js';
import { isNotFound } from '../../lib/kube/errors.js';
import { Informer } from '../../lib/kube/informer.js';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import type { Logger } from '../../lib/util/logger.js';
import { WorkQueue } from '../../lib/util/work-queue.js';
import type { ResourceSliceJson } from '../../lib/cel/device-model.js';
import { DeviceMatcher } from './match/device-matcher.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { ConsumableCapacityProbe, withSharedReadiness } from './reconcile/consumable-capacity.js';
import { decideDeviceClass } from './reconcile/device-class-decision.js';
import { Executor } from './reconcile/executor.js';
import {
  decodeClaimTemplate,
  decodeDeviceClass,
  decodeNetworkDeviceClass,
  decodeNetworkProfile,
  decodeResourceSlice,
  type LiveClaimTemplate,
  type LiveDeviceClass,
  type LiveResourceSlice,
} from './informed-kinds.js';
import { decideProfile } from './reconcile/profile-decision.js';
import { effectiveSlices } from './match/effective-slices.js';
import { taintStatus } from './match/taint-status.js';

export interface ControllerOptions {
  client: KubeRestClient;
  logger: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  sliceDebounceMs?: number;
  /** Namespace of the consumable-capacity dry-run probe (default `default`; nothing is stored). */
  probeNamespace?: string;
}

export class Controller {
  private readonly queue = new WorkQueue({ backoff: { baseMs: 200, maxMs: 60_000 } });
  private readonly matcher = new DeviceMatcher();
  private readonly executor: Executor;
  private readonly capacityProbe: ConsumableCapacityProbe;
  private readonly ndcs: Informer<NetworkDeviceClass>;
  private readonly profiles: Informer<NetworkProfile>;
  private readonly deviceClasses: Informer<LiveDeviceClass>;
  private readonly templates: Informer<LiveClaimTemplate>;
  private readonly slices: Informer<LiveResourceSlice>;
  private sliceTimer: NodeJS.Timeout | undefined;
  private workersDone: Promise<void>[] = [];
  private synced = false;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.executor = new Executor(opts.client);
    this.capacityProbe = new ConsumableCapacityProbe({
      client: opts.client,
      namespace: opts.probeNamespace ?? 'default',
    });
    const onError = (what: string) => (err: unknown) => {
      this.log.warn('informer error', { informer: what, error: (err as Error).message });
    };
    const lw = <T extends KubeObject>(
      path: string,
      decode: Decode<T>,
      onEvent: (o: T, old: T | undefined) => void,
      labelSelector?: string,
    ) =>
      new Informer<T>(opts.client, {
        path,
        decode,
        onEvent: (_type, o, old) => {
          onEvent(o, old);
        },
        onError: onError(path),
        ...(labelSelector ? { labelSelector } : {}),
      });
    this.ndcs = lw(`/apis/${API_GROUP_VERSION}/networkdeviceclasses`, decodeNetworkDeviceClass, (o, old) => {
      this.queue.add(`ndc/${o.metadata.name}`);
      const names = new Set([o.metadata.name]);
      if (old) names.add(old.metadata.name);
      this.enqueueProfilesWhere((p) => names.has(p.spec.deviceClassName));
    });
    this.profiles = lw(`/apis/${API_GROUP_VERSION}/networkprofiles`, decodeNetworkProfile, (o) => {
      this.queue.add(`np/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    });
    this.deviceClasses = lw('/apis/resource.k8s.io/v1/deviceclasses', decodeDeviceClass, (o) => {
      if (this.ndcs.store.has(o.metadata.name)) this.queue.add(`ndc/${o.metadata.name}`);
      this.enqueueProfilesWhere((p) => p.spec.alignment?.deviceClassName === o.metadata.name);
    });
    this.templates = lw(
      '/apis/resource.k8s.io/v1/resourceclaimtemplates',
      decodeClaimTemplate,
      (o) => {
        this.queue.add(`np/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      },
      `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
    );
    this.slices = lw('/apis/resource.k8s.io/v1/resourceslices', decodeResourceSlice, () => {
      this.onSliceChange();
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  private enqueueProfilesWhere(pred: (p: NetworkProfile) => boolean): void {
    for (const p of this.profiles.store.values()) {
      if (pred(p)) this.queue.add(`np/${p.metadata.namespace ?? ''}/${p.metadata.name}`);
    }
  }

  private onSliceChange(): void {
    this.sliceVersion++;
    if (!this.synced || this.sliceTimer) return;
    this.sliceTimer = setTimeout(() => {
      this.sliceTimer = undefined;
      for (const n of this.ndcs.store.values()) this.queue.add(`ndc/${n.metadata.name}`);
      this.enqueueProfilesWhere(() => true);
    }, this.opts.sliceDebounceMs ?? 1000);
    this.sliceTimer.unref();
  }

  async start(): Promise<void> {
    // slices and DRA objects first, so the first reconciles see a full picture
    await Promise.all([this.slices.start(), this.deviceClasses.start(), this.templates.start()]);
    await Promise.all([this.ndcs.start(), this.profiles.start()]);
    this.synced = true;
    const n = this.opts.workers ?? 4;
    this.workersDone = Array.from({ length: n }, () => this.worker());
    this.log.info('controller started', {
      workers: n,
      networkDeviceClasses: this.ndcs.store.size,
      networkProfiles: this.profiles.store.size,
    });
  }

  async stop(): Promise<void> {
    for (const i of [this.ndcs, this.profiles, this.deviceClasses, this.templates, this.slices]) i.stop();
    if (this.sliceTimer) clearTimeout(this.sliceTimer);
    this.queue.shutDown();
    await Promise.all(this.workersDone);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const kind = key.startsWith('ndc/') ? 'NetworkDeviceClass' : 'NetworkProfile';
      const end = this.opts.metrics.reconcileDuration.startTimer({ kind });
      try {
        await this.reconcile(key);
        this.queue.forget(key);
        this.opts.metrics.reconciles.inc({ kind, result: 'success' });
      } catch (err) {
        const delayMs = this.queue.addRateLimited(key);
        this.opts.metrics.reconciles.inc({ kind, result: 'error' });
        this.log.warn('reconcile failed; will retry', {
          key,
          retryInMs: delayMs,
          error: (err as Error).message,
        });
      } finally {
        end();
        this.queue.done(key);
        this.opts.metrics.queueDepth.set(this.queue.length);
      }
    }
  }

  private sliceVersion = 0;
  private sliceCache: { version: number; slices: ResourceSliceJson[] } | undefined;

  /** Effective slices, recomputed only after a slice event. */
  private sliceView(): ResourceSliceJson[] {
    if (this.sliceCache?.version !== this.sliceVersion) {
      this.sliceCache = { version: this.sliceVersion, slices: effectiveSlices(this.slices.list()) };
    }
    return this.sliceCache.slices;
  }

  /** Match counts memoized per expression list until the next slice event. */
  private readonly counter = {
    count: (exprs: readonly string[], slices: Iterable<ResourceSliceJson>) =>
      this.matcher.countCached(exprs, slices, this.sliceVersion),
  };

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('ndc/')) {
      const name = key.slice(4);
      const ndc = this.ndcs.store.get(name);
      if (!ndc || ndc.metadata.deletionTimestamp) return; // generated DeviceClass goes with it (ownerReference GC)
      const decision = withSharedReadiness(
        decideDeviceClass(ndc, this.deviceClasses.store.get(name), this.sliceView(), this.counter, (exprs) =>
          taintStatus(exprs, this.sliceView(), this.matcher),
        ),
        ndc,
        ndc.spec.shared === undefined ? true : await this.capacityProbe.served(),
      );
      const r = await this.executor.execute(
        {
          apiVersion: API_GROUP_VERSION,
          kind: KIND_NETWORK_DEVICE_CLASS,
          plural: 'networkdeviceclasses',
          name,
          ...meta(ndc),
        },
        decision,
        'deviceClassName',
      );
      this.remember(r.written, this.deviceClasses, this.ndcs);
      this.logResult(key, decision.action.kind, r);
      return;
    }
    const [, ns = '', name = ''] = key.split('/');
    const p = this.profiles.store.get(`${ns}/${name}`);
    if (!p || p.metadata.deletionTimestamp) return;
    let live = this.templates.store.get(`${ns}/${name}`);
    if (!live) {
      // not in our (label-filtered) cache: make sure no foreign template holds the name
      live = await this.opts.client
        .get<unknown>(`/apis/resource.k8s.io/v1/namespaces/${ns}/resourceclaimtemplates/${name}`)
        .then(decodeClaimTemplate, (e: unknown) => {
          if (isNotFound(e)) return undefined;
          throw e;
        });
    }
    const decision = decideProfile({
      profile: p,
      networkClass: this.ndcs.store.get(p.spec.deviceClassName),
      deviceClassExists: (n) => this.deviceClasses.store.has(n),
      liveTemplate: live,
      slices: this.sliceView(),
      matcher: this.counter,
    });
    const r = await this.executor.execute(
      {
        apiVersion: API_GROUP_VERSION,
        kind: KIND_NETWORK_PROFILE,
        plural: 'networkprofiles',
        name,
        namespace: ns,
        ...meta(p),
      },
      decision,
      'resourceClaimTemplateName',
    );
    this.remember(r.written, this.templates, this.profiles);
    this.logResult(key, decision.action.kind, r);
  }

  /**
   * Write-through: put what the apiserver returned from our writes into the caches, so a reconcile
   * that runs before the watch delivers them neither creates twice nor rewrites the same status.
   */
  private remember(
    written: readonly { kind?: string }[],
    generated: Pick<Informer<KubeObject>, 'upsertRawIfNewer'>,
    source: Pick<Informer<KubeObject>, 'upsertRawIfNewer'>,
  ): void {
    for (const o of written) {
      const store = o.kind === 'DeviceClass' || o.kind === 'ResourceClaimTemplate' ? generated : source;
      store.upsertRawIfNewer(o);
    }
  }

  private logResult(
    key: string,
    action: string,
    r: { wrote: boolean; statusWritten: boolean; ready: { ready: boolean; reason: string } },
  ): void {
    if (r.wrote || r.statusWritten) {
      this.log.info('reconciled', {
        key,
        action,
        statusWritten: r.statusWritten,
        ready: r.ready.ready,
        reason: r.ready.reason,
      });
    } else {
      this.log.debug('up to date', { key });
    }
  }
}

function meta(o: NetworkDeviceClass | NetworkProfile): {
  uid?: string;
  generation?: number;
  status?: Record<string, never>;
} {
  return {
    ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
    ...(o.metadata.generation !== undefined ? { generation: o.metadata.generation } : {}),
    ...(o.status ? { status: o.status as Record<string, never> } : {}),
  };
}
