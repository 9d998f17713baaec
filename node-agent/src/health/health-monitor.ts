// The health monitor: watches the link of every published device where it is now and keeps the
// knd.dev/unhealthy taints of the node's devices (docs/health.md).
//
// Contract:
// - Caller: node-agent main. devicesChanged() after every inventory change; onTaints(taints) is
//   called with the complete taint map whenever it changes (main merges it into the published
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
import type { DeviceTaint, TaintEffect } from '../../../lib/api/device-taints.js';
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
import { planTaints, type TaintEntry } from './taint-planner.js';

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
  onTaints: (taints: ReadonlyMap<string, DeviceTaint[]>) => void;
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
  let lastTaintsKey = '[]';
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

  const evaluate = async (): Promise<void> => {
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

  const resync = setInterval(trigger, deps.resyncIntervalMs ?? 5000);
  resync.unref();
  trigger();

  return {
    devicesChanged: trigger,
    checkNow() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        trigger();
      });
    },
    taints: () => taints,
    stop() {
      stopped = true;
      clearInterval(resync);
      if (wakeTimer) clearTimeout(wakeTimer);
      for (const w of watchers.values()) w.stop();
      watchers.clear();
      for (const w of waiters) w();
      waiters = [];
    },
  };
}
