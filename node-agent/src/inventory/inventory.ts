// The inventory loop: scan sysfs (+ netlink facts), apply policy and the admin filter, merge pinned
// devices, and report the device list to `onChange` whenever it differs from the last report.
//
// Contract:
// - Callers: node-agent main (starts it once), the DRA prepare path (lookup/pin/unpin/rescanNow).
// - Triggers: rtnetlink link/address/default-route notifications (link-events.ts) and a full
//   periodic resync every rescanIntervalMs (30 s: sysfs-only facts such as sriov_numvfs, and a
//   safety net). Without netlink (a --sysfs-root tree: no kernel notifications) a listing poll of
//   class/net every pollIntervalMs replaces the notifications. Rescans are rate-limited to one per
//   minRescanIntervalMs, never overlap, and a trigger during a scan causes exactly one more scan
//   afterwards. A trigger after a quiet period scans at once: an added or removed interface is
//   published within tens of milliseconds (< 2 s required).
// - Failures: a failed scan is logged and retried at the next trigger (at the latest after
//   rescanIntervalMs); the previous device list stays in effect. The loop never stops on its own.
// - Read-only: nothing here changes kernel state.
import type { Logger } from '../../../lib/util/logger.js';
import { wrap } from '../../../lib/util/result.js';
import { buildDevices, type Exclusion, type InventoryDevice } from './build-devices.js';
import type { DeviceFilter } from './cel-filter.js';
import { DeviceRegistry, type DeviceLookup } from './device-registry.js';
import { EMPTY_NETLINK_FACTS } from './facts.js';
import { netlinkLinkEvents, type LinkEventSource } from './link-events.js';
import { netlinkFactsSource, type NetlinkSource } from './netlink-facts.js';
import { scanSysfs } from './scan-sysfs.js';
import { sysfsReader, type SysfsReader } from './sysfs-reader.js';

export interface DiscoverOptions {
  /** Default `/sys`. */
  sysfsRoot?: string;
  /** null: no netlink facts (no kinds, IPs, default routes), as for `knd discover --sysfs-root`. */
  netlink?: NetlinkSource | null;
  filterCel?: string;
  optInVirtualTypes?: readonly string[];
}

export interface DiscoverResult {
  devices: InventoryDevice[];
  excluded: Exclusion[];
  warnings: string[];
}

const keepAll: DeviceFilter = () => ({ keep: true });

/**
 * Compile the admin's CEL filter (cel-filter.ts); an empty or absent expression keeps everything.
 * The CEL model (@bufbuild/cel, ~18 MB of RSS) is imported only when there is an expression, so an
 * agent without --filter never loads it (docs/dra-plugin.md, "Memory"). Rejects with the parse
 * error and its position.
 */
export async function loadDeviceFilter(expression: string | undefined): Promise<DeviceFilter> {
  if (expression === undefined || expression.trim() === '') return keepAll;
  const r = (await import('./cel-filter.js')).compileDeviceFilter(expression);
  if (!r.ok) throw r.error;
  return r.value;
}

/** One discovery pass, no loop (used by `knd discover`, tests, benchmarks). */
export async function discoverOnce(opts: DiscoverOptions = {}): Promise<DiscoverResult> {
  return scanWith(
    sysfsReader(opts.sysfsRoot ?? '/sys'),
    netlinkOf(opts),
    await loadDeviceFilter(opts.filterCel),
    opts.optInVirtualTypes,
  );
}

function netlinkOf(opts: DiscoverOptions): NetlinkSource | null {
  return opts.netlink === undefined ? netlinkFactsSource() : opts.netlink;
}

async function scanWith(
  fs: SysfsReader,
  netlink: NetlinkSource | null,
  filter: DeviceFilter,
  optInVirtualTypes: readonly string[] | undefined,
): Promise<DiscoverResult> {
  const [sys, nl] = await Promise.all([
    scanSysfs(fs).catch((e: unknown) => Promise.reject(wrap(`scan sysfs at ${fs.root}`, e))),
    netlink ? netlink.read() : Promise.resolve(EMPTY_NETLINK_FACTS),
  ]);
  const built = buildDevices(sys, nl, optInVirtualTypes ? { optInVirtualTypes } : {});
  const devices: InventoryDevice[] = [];
  const excluded = [...built.excluded];
  for (const d of built.devices) {
    const r = filter(d);
    if (r.keep) devices.push(d);
    else excluded.push({ subject: d.name, reason: r.reason });
  }
  return { devices, excluded, warnings: built.warnings };
}

export interface InventoryOptions extends Omit<DiscoverOptions, 'filterCel'> {
  /** The admin's filter, from loadDeviceFilter(expression). Default: keep every device. */
  filter?: DeviceFilter;
  logger: Logger;
  onChange: (devices: readonly InventoryDevice[]) => void;
  /** Full resync period. Default 30 000. */
  rescanIntervalMs?: number;
  /** Rate limit between scans. Default 200. */
  minRescanIntervalMs?: number;
  /** class/net listing poll. Default: 0 (off) with netlink, 500 without (no notifications). */
  pollIntervalMs?: number;
  /** Default: rtnetlink notifications when netlink is enabled, none otherwise. null disables. */
  linkEvents?: LinkEventSource | null;
}

export interface Inventory {
  /** Resolves after the first scan (successful or not). */
  readonly ready: Promise<void>;
  devices(): readonly InventoryDevice[];
  /** Exclusions of the last scan, for diagnostics. */
  excluded(): readonly Exclusion[];
  lookup(name: string): DeviceLookup | undefined;
  /** Keep the device published while it is out of the host (allocated). False if unknown. */
  pin(name: string): boolean;
  unpin(name: string): void;
  /** Scan now (subject to the rate limit) and resolve after a scan that started after this call. */
  rescanNow(): Promise<void>;
  stop(): void;
}

export function startInventory(opts: InventoryOptions): Inventory {
  const filter = opts.filter ?? keepAll;
  const log = opts.logger;
  const fs = sysfsReader(opts.sysfsRoot ?? '/sys');
  const netlink = netlinkOf(opts);
  const registry = new DeviceRegistry();
  const rescanIntervalMs = opts.rescanIntervalMs ?? 30_000;
  const minRescanIntervalMs = opts.minRescanIntervalMs ?? 200;
  const pollIntervalMs = opts.pollIntervalMs ?? (netlink ? 0 : 500);
  const events =
    opts.linkEvents === undefined ? (netlink ? netlinkLinkEvents({ logger: log }) : null) : opts.linkEvents;

  let stopped = false;
  let running = false;
  let pending = false;
  let lastStartMs = 0;
  let delayTimer: NodeJS.Timeout | undefined;
  let lastReport = '';
  let lastExcluded: Exclusion[] = [];
  let waiters: (() => void)[] = [];
  let lastNetNames = '';

  const publish = (devices: InventoryDevice[]): void => {
    const key = JSON.stringify(devices.map((d) => [d.name, d.attributes]));
    if (key === lastReport) return;
    lastReport = key;
    try {
      opts.onChange(devices);
    } catch (e) {
      log.error('inventory onChange handler failed', { error: (e as Error).message });
    }
  };

  const runScan = async (): Promise<void> => {
    running = true;
    pending = false;
    lastStartMs = Date.now();
    const done = waiters;
    waiters = [];
    try {
      // The poll compares against the listing this scan saw, so a change between the scan and
      // the next poll tick is never mistaken for the baseline.
      if (pollIntervalMs > 0) lastNetNames = (await fs.list('class/net')).join(',');
      const r = await scanWith(fs, netlink, filter, opts.optInVirtualTypes);
      lastExcluded = r.excluded;
      for (const w of r.warnings) log.warn('device attribute problem', { detail: w });
      publish(registry.apply(r.devices));
    } catch (e) {
      log.error('device scan failed; keeping the previous device list', { error: (e as Error).message });
    } finally {
      running = false;
      for (const w of done) w();
      if (pending && !stopped) schedule();
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    pending = true;
    if (running || delayTimer) return;
    const waitMs = Math.max(0, lastStartMs + minRescanIntervalMs - Date.now());
    delayTimer = setTimeout(() => {
      delayTimer = undefined;
      if (!running && pending && !stopped) void runScan();
    }, waitMs);
  };

  const ready = new Promise<void>((resolve) => {
    waiters.push(resolve);
  });
  schedule();

  const resync = setInterval(schedule, rescanIntervalMs);
  resync.unref();
  let poll: NodeJS.Timeout | undefined;
  if (pollIntervalMs > 0) {
    poll = setInterval(() => {
      fs.list('class/net').then(
        (names) => {
          const key = names.join(',');
          if (key !== lastNetNames) {
            lastNetNames = key;
            schedule();
          }
        },
        (e: unknown) => {
          log.warn('sysfs poll failed', { error: (e as Error).message });
        },
      );
    }, pollIntervalMs);
    poll.unref();
  }
  events?.start(schedule);

  return {
    ready,
    devices: () => registry.devices(),
    excluded: () => lastExcluded,
    lookup: (name) => registry.lookup(name),
    pin(name) {
      return registry.pin(name);
    },
    unpin(name) {
      // a device the last scan saw on the host is published as it is: nothing to rescan for
      if (registry.unpin(name)) schedule();
    },
    rescanNow() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        schedule();
      });
    },
    stop() {
      stopped = true;
      clearInterval(resync);
      if (poll) clearInterval(poll);
      if (delayTimer) clearTimeout(delayTimer);
      events?.stop();
      for (const w of waiters) w();
      waiters = [];
    },
  };
}
