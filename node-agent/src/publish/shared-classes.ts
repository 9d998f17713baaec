// The agent's view of the cluster's shared NetworkDeviceClasses, and whether the apiserver serves
// consumable capacity: the input of applySharedClasses (shared-devices.ts) before publishing, and
// of prepare's macvlan mode per device.
//
// Contract:
// - Caller: node-agent main. A consumer of the agent's one class list (classes/class-list.ts:
//   listed every 10 s, the last good list kept when a list fails, a failed list logged there):
//   setClasses() takes each changed list and compiles its classes with spec.shared.
// - While some class is shared, a dry-run create of a ResourceSlice of this node with one shared
//   device tells whether the apiserver keeps allowMultipleAllocations (1.36+) or drops it (1.35,
//   DRAConsumableCapacity off): at once when the first shared class appears, then again every
//   probeIntervalMs (default 10 min) on a timer of its own; a failed probe is retried after
//   probeRetryMs (default 10 s). Time limit per probe: the client's timeoutMs (main: 10 s).
// - onChange() is called when the compiled classes or the served flag change; the caller
//   re-publishes. Until the first answer nothing is shared (served = false).
// - setClasses() and the probe timer run one at a time. A class that does not compile, a failed
//   probe and an apiserver without consumable capacity are logged once per distinct message;
//   setClasses() rejects only when the CEL module cannot be loaded (the class list then logs it
//   and calls again on its next tick).
import type { MacvlanMode } from '../../../lib/api/shared-device.js';
import type { KubeRestClient } from '../../../lib/kube/rest-client.js';
import { resourcePath } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { ClassItem } from '../classes/class-list.js';
import { CLASS_LIST_INTERVAL_MS } from '../classes/class-list.js';
import { sharedDeviceFields, sharedFieldsKept } from './shared-capacity.js';
// shared-devices.ts pulls in the CEL evaluator: loaded only once some class is shared
import type { SharedClassView } from './shared-devices.js';

type SharedDevicesModule = typeof import('./shared-devices.js');
import { RESOURCE_API_VERSION, type SliceDevice } from './slice-builder.js';

export interface SharedClassesOptions {
  nodeName: string;
  driverName: string;
  logger: Logger;
  onChange: () => void;
  /** The probe's dry-run create (main: lib/kube's client with a 10 s time limit). */
  client: Pick<KubeRestClient, 'create'>;
  probeIntervalMs?: number;
  probeRetryMs?: number;
}

/** The dry-run slice: one device of this node with allowMultipleAllocations and capacity. */
export function probeSlice(
  nodeName: string,
  driverName: string,
): { slice: unknown; sent: ReturnType<typeof probeFields> } {
  const sent = probeFields();
  return {
    sent,
    slice: {
      apiVersion: RESOURCE_API_VERSION,
      kind: 'ResourceSlice',
      metadata: { name: `${nodeName}-${driverName}-capacity-probe` },
      spec: {
        driver: driverName,
        nodeName,
        pool: { name: `${nodeName}-capacity-probe`, generation: 1, resourceSliceCount: 1 },
        devices: [{ name: 'probe', attributes: {}, ...sent }],
      },
    },
  };
}

function probeFields(): { allowMultipleAllocations: true; capacity: NonNullable<SliceDevice['capacity']> } {
  const f = sharedDeviceFields({ maxChildren: 1, bandwidthMbps: 2 }, {});
  if (!f.ok) throw f.error;
  return f.value;
}

/** What onChange compares: the compiled classes and the served flag. */
function viewKey(classes: readonly SharedClassView[], served: boolean): string {
  return JSON.stringify([
    served,
    classes.map((c) => [c.name, c.shared, c.selectors.map((x) => x.expression)]),
  ]);
}

export class SharedClasses {
  private classes: SharedClassView[] = [];
  private served = false;
  /** When the next probe is due; undefined: never probed, due at once. */
  private nextProbeAtMs: number | undefined;
  private modes = new Map<string, MacvlanMode>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly logged = new Set<string>();
  private cel: SharedDevicesModule | undefined;
  /** The tail of the one-at-a-time chain of setClasses() and probe ticks. */
  private queue: Promise<void> = Promise.resolve();
  private readonly o: SharedClassesOptions;

  constructor(o: SharedClassesOptions) {
    this.o = o;
  }

  /** The devices to publish: shared where exactly one served shared class selects them. */
  apply(devices: readonly SliceDevice[]): SliceDevice[] {
    if (this.cel === undefined || this.classes.length === 0) {
      this.modes = new Map();
      return [...devices];
    }
    const { devices: out, notes, modes } = this.cel.applySharedClasses(devices, this.classes, this.served);
    for (const n of notes) this.logOnce(`device ${n.device}: ${n.message}`);
    this.modes = modes;
    return out;
  }

  /** The macvlan mode a device was last published with (undefined: not shared). */
  modeOf(deviceName: string): MacvlanMode | undefined {
    return this.modes.get(deviceName);
  }

  /** The class list's subscriber: compile the shared classes, probe when due, tell onChange. */
  setClasses(items: readonly ClassItem[], nowMs?: number): Promise<void> {
    return this.serial(async () => {
      const now = nowMs ?? Date.now();
      const classes = await this.compile(items);
      this.settle(classes, await this.probeIfDue(classes, now), now);
    });
  }

  /** The probe timer's tick (exported for tests): probe when due, tell onChange. */
  probeTick(nowMs?: number): Promise<void> {
    return this.serial(async () => {
      const now = nowMs ?? Date.now();
      this.settle(this.classes, await this.probeIfDue(this.classes, now), now);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async compile(items: readonly ClassItem[]): Promise<SharedClassView[]> {
    const shared = items.filter((c) => c.spec.shared !== undefined);
    if (shared.length === 0) return [];
    this.cel ??= await import('./shared-devices.js');
    const classes: SharedClassView[] = [];
    for (const c of shared) {
      const r = this.cel.compileSharedClass({ metadata: { name: c.name }, spec: c.spec });
      if (!r.ok) this.logOnce(r.error.message);
      else if (r.value !== undefined) classes.push(r.value);
    }
    return classes;
  }

  /** The served flag: a fresh probe's answer when some class is shared and a probe is due. */
  private async probeIfDue(classes: readonly SharedClassView[], nowMs: number): Promise<boolean> {
    if (classes.length === 0 || (this.nextProbeAtMs !== undefined && nowMs < this.nextProbeAtMs))
      return this.served;
    const { slice, sent } = probeSlice(this.o.nodeName, this.o.driverName);
    try {
      const back = await this.o.client.create<{ spec?: { devices?: Record<string, unknown>[] } }>(
        `${resourcePath(RESOURCE_API_VERSION, 'resourceslices', undefined)}?dryRun=All`,
        slice,
      );
      const served = sharedFieldsKept(sent, back.spec?.devices?.[0] ?? {});
      this.nextProbeAtMs = nowMs + (this.o.probeIntervalMs ?? 600_000);
      if (!served)
        this.logOnce(
          'the apiserver does not serve DRA consumable capacity (DRAConsumableCapacity): no device is published as shared',
        );
      return served;
    } catch (e) {
      this.nextProbeAtMs = nowMs + (this.o.probeRetryMs ?? CLASS_LIST_INTERVAL_MS);
      this.logOnce(`consumable-capacity probe failed: ${(e as Error).message}`);
      return this.served;
    }
  }

  /** Take the new view, arm the probe timer while some class is shared, tell onChange. */
  private settle(classes: SharedClassView[], served: boolean, nowMs: number): void {
    const changed = viewKey(classes, served) !== viewKey(this.classes, this.served);
    this.classes = classes;
    this.served = served;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.stopped && classes.length > 0 && this.nextProbeAtMs !== undefined) {
      this.timer = setTimeout(
        () => {
          this.probeTick().catch((e: unknown) => {
            this.logOnce(`re-checking consumable capacity failed: ${(e as Error).message}`);
          });
        },
        Math.max(0, this.nextProbeAtMs - nowMs),
      );
      this.timer.unref();
    }
    if (changed) this.o.onChange();
  }

  /** Runs op after the ones before it; its rejection goes to the caller, not to the next op. */
  private serial(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private logOnce(message: string): void {
    if (this.logged.has(message)) return;
    this.logged.add(message);
    this.o.logger.warn('shared devices', { detail: message });
  }
}
