// The health monitor: watches the link of every published device where it is now and keeps the
// knd.dev/unhealthy taints of the node's devices (docs/health.md).
//
// Contract:
// - Caller: node-agent main. devicesChanged() after every inventory change (the first call starts
//   the monitor); onTaints(taints) is called with the complete taint map after the first evaluation
//   and whenever it changes (main merges it into the published
//   devices); onVerdicts(verdicts) with every device's current verdict after each evaluation (the
//   kubelet health stream, KEP-4680).
// - Where a device is: an attach record with a result -> the pod's network namespace (its
//   podIfName there); a record without a result -> moving (not observed); otherwise the host.
// - Triggers: rtnetlink link notifications (inventory/link-events.ts) in the host namespace and in
//   every pod namespace holding a device (a veth peer going down shows there as no carrier),
//   inventory changes, attach records written or deleted (main wires
//   PlanStore.onAttachRecordsChanged to devicesChanged), a hold expiring, and a safety re-check
//   every resyncIntervalMs (default 5 s). Evaluations never overlap; a trigger during one causes
//   exactly one more. Latency from a link event to onTaints: one rtnetlink link dump per place
//   (well under a millisecond).
// - Failures: a place that cannot be read (namespace gone) is logged once per distinct error and
//   left unobserved (its devices keep their taint state); never throws out.
// - Read-only: nothing here changes kernel state.
import {
  HEALTH_TAINT_KEY,
  HealthReason,
  type DeviceTaint,
  type HealthReasonName,
  type TaintEffect,
} from '../../../lib/api/device-taints.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { LinkEventSource } from '../inventory/link-events.js';
import type { AttachRecord } from '../netns/contract.js';
import {
  linkVerdict,
  nextMemory,
  type LinkMemory,
  type LinkObservation,
  type LinkVerdict,
} from './link-health.js';
import { HOST_PLACE, type LinkState } from './link-reader.js';
import { planTaints, rfc3339Seconds, type TaintEntry } from './taint-planner.js';

export interface HealthMonitorDeps {
  devices: () => readonly InventoryDevice[];
  /** Pinned = allocated to a claim (inventory.lookup). */
  isPinned: (device: string) => boolean;
  attachRecords: () => Promise<readonly AttachRecord[]>;
  readLinks: (place: string) => Promise<Map<string, LinkState>>;
  rdmaPortStates: (rdmaDevice: string) => Promise<string[]>;
  /** Link events of a place (HOST_PLACE or a namespace path). */
  linkEvents: (place: string) => LinkEventSource;
  effectOf: (device: InventoryDevice) => TaintEffect;
  /** Called after the first evaluation (even with no taints), then on every change. */
  onTaints: (taints: ReadonlyMap<string, DeviceTaint[]>) => void;
  /**
   * The taints this node's slices carry from an earlier agent run, read once before the first
   * evaluation, so a restart keeps timeAdded (NoExecute tolerationSeconds count from it) and a
   * running hold ends as planned. Failure: logged, start empty.
   */
  initialTaints?: () => Promise<ReadonlyMap<string, DeviceTaint[]>>;
  onVerdicts?: (verdicts: ReadonlyMap<string, LinkVerdict>) => void;
  holdMs: number;
  resyncIntervalMs?: number;
  logger: Logger;
  nowMs?: () => number;
}

export interface HealthMonitor {
  devicesChanged(): void;
  /** Evaluate now; resolves after an evaluation that started after this call. */
  checkNow(): Promise<void>;
  taints(): ReadonlyMap<string, DeviceTaint[]>;
  stop(): void;
}

export function startHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const log = deps.logger;
  const now = deps.nowMs ?? Date.now;
  let entries: ReadonlyMap<string, TaintEntry> = new Map();
  let taints: ReadonlyMap<string, DeviceTaint[]> = new Map();
  let lastTaintsKey: string | undefined;
  let seeded = deps.initialTaints === undefined;
  const memory = new Map<string, LinkMemory>();
  /** Devices seen with a netdev on the host: losing it later is Gone. */
  const hadNetdev = new Set<string>();
  const watchers = new Map<string, LinkEventSource>();
  const loggedErrors = new Set<string>();
  let running = false;
  let pending = false;
  let stopped = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let waiters: (() => void)[] = [];

  const watch = (place: string): void => {
    if (watchers.has(place)) return;
    const w = deps.linkEvents(place);
    watchers.set(place, w);
    w.start(trigger);
  };

  const readPlace = async (place: string): Promise<Map<string, LinkState> | undefined> => {
    try {
      const links = await deps.readLinks(place);
      loggedErrors.delete(place);
      return links;
    } catch (e) {
      if (!loggedErrors.has(place))
        log.warn('reading link state failed', { place, error: (e as Error).message });
      loggedErrors.add(place);
      return undefined;
    }
  };

  const seed = async (): Promise<void> => {
    seeded = true;
    try {
      entries = seedEntries((await deps.initialTaints?.()) ?? new Map(), now());
      if (entries.size > 0) log.info('taints of the previous run kept', { devices: [...entries.keys()] });
    } catch (e) {
      log.warn('reading the taints of the previous run failed; starting without', {
        error: (e as Error).message,
      });
    }
  };

  const evaluate = async (): Promise<void> => {
    if (!seeded) await seed();
    const devices = deps.devices();
    const records = await deps.attachRecords();
    const byDevice = new Map(records.map((r) => [r.deviceName, r]));
    const places = new Set<string>([HOST_PLACE]);
    for (const r of records) if (r.result) places.add(r.netnsPath);
    // pod namespaces come and go with their devices
    for (const p of places) watch(p);
    for (const [p, w] of watchers)
      if (!places.has(p)) {
        w.stop();
        watchers.delete(p);
      }
    const links = new Map<string, Map<string, LinkState> | undefined>();
    await Promise.all([...places].map(async (p) => links.set(p, await readPlace(p))));

    const verdicts = new Map<string, LinkVerdict>();
    for (const d of devices) {
      const rec = byDevice.get(d.name);
      let obs: LinkObservation | undefined;
      let place: string | undefined;
      let ifName: string | undefined;
      if (rec?.result) {
        place = rec.netnsPath;
        ifName = rec.result.ifName;
      } else if (!rec) {
        place = HOST_PLACE;
        ifName = d.host.ifName;
      }
      const rdma = d.host.rdmaDevice;
      const portStates = rdma ? await deps.rdmaPortStates(rdma).catch(() => []) : [];
      const seen = place !== undefined ? links.get(place) : undefined;
      if (place !== undefined && seen) {
        const l = ifName !== undefined ? seen.get(ifName) : undefined;
        if (l) {
          obs = { place, present: true, ...l, rdmaPortStates: portStates };
          if (place === HOST_PLACE) hadNetdev.add(d.name);
        } else if (place === HOST_PLACE && hadNetdev.has(d.name) && !deps.isPinned(d.name)) {
          obs = {
            place,
            present: false,
            adminUp: false,
            carrier: false,
            operstate: 'notpresent',
            rdmaPortStates: [],
          };
        }
      }
      verdicts.set(d.name, linkVerdict(obs, memory.get(d.name)));
      const m = nextMemory(obs, memory.get(d.name));
      if (m) memory.set(d.name, m);
    }
    const published = new Set(devices.map((d) => d.name));
    for (const k of [...memory.keys()]) if (!published.has(k)) memory.delete(k);
    for (const k of [...hadNetdev]) if (!published.has(k)) hadNetdev.delete(k);

    const byName = new Map(devices.map((d) => [d.name, d]));
    const plan = planTaints({
      previous: entries,
      verdicts,
      published: [...published],
      nowMs: now(),
      holdMs: deps.holdMs,
      effectOf: (name) => {
        const d = byName.get(name);
        return d ? deps.effectOf(d) : 'NoSchedule';
      },
    });
    for (const [name, t] of plan.taints)
      if (!entries.has(name))
        log.info('device unhealthy: tainted', { device: name, value: t[0]?.value, effect: t[0]?.effect });
    for (const name of entries.keys())
      if (!plan.entries.has(name) && published.has(name))
        log.info('device healthy for the hold time: taint removed', { device: name });
    entries = plan.entries;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    if (plan.wakeAtMs !== undefined) {
      wakeTimer = setTimeout(trigger, Math.max(0, plan.wakeAtMs - now()));
      wakeTimer.unref();
    }
    deps.onVerdicts?.(verdicts);
    const key = JSON.stringify([...plan.taints].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (key !== lastTaintsKey) {
      lastTaintsKey = key;
      taints = plan.taints;
      deps.onTaints(taints);
    }
  };

  const run = async (): Promise<void> => {
    running = true;
    try {
      while (pending && !stopped) {
        pending = false;
        const done = waiters;
        waiters = [];
        try {
          await evaluate();
        } catch (e) {
          log.error('health evaluation failed', { error: (e as Error).message });
          // the caller publishes only after the first report: never leave it waiting
          if (lastTaintsKey === undefined) {
            lastTaintsKey = '';
            deps.onTaints(taints);
          }
        }
        for (const w of done) w();
      }
    } finally {
      running = false;
    }
  };

  function trigger(): void {
    if (stopped) return;
    pending = true;
    if (!running) void run();
  }

  // the first evaluation (and the periodic re-check) wait for the first devicesChanged, the
  // inventory's first scan: taints seeded from the slices are kept only for published devices
  let resync: NodeJS.Timeout | undefined;

  return {
    devicesChanged() {
      if (!resync && !stopped) {
        resync = setInterval(trigger, deps.resyncIntervalMs ?? 5000);
        resync.unref();
      }
      trigger();
    },
    checkNow() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        trigger();
      });
    },
    taints: () => taints,
    stop() {
      stopped = true;
      if (resync) clearInterval(resync);
      if (wakeTimer) clearTimeout(wakeTimer);
      for (const w of watchers.values()) w.stop();
      watchers.clear();
      for (const w of waiters) w();
      waiters = [];
    },
  };
}

/**
 * Planner entries from the knd.dev/unhealthy taints found in the slices: same reason and
 * timeAdded. A taint written without a known reason value is kept under NoCarrier's rules (any
 * unhealthy reason is handled alike by the planner); the next verdict decides.
 */
export function seedEntries(
  found: ReadonlyMap<string, DeviceTaint[]>,
  nowMs: number,
): Map<string, TaintEntry> {
  const out = new Map<string, TaintEntry>();
  for (const [device, list] of found) {
    const t = list.find((x) => x.key === HEALTH_TAINT_KEY);
    if (!t) continue;
    const reason = (Object.values(HealthReason) as string[]).includes(t.value)
      ? (t.value as HealthReasonName)
      : HealthReason.NoCarrier;
    out.set(device, { reason, timeAdded: t.timeAdded !== '' ? t.timeAdded : rfc3339Seconds(nowMs) });
  }
  return out;
}
