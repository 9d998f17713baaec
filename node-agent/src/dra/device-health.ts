// Pure: NIC link state -> DRA resource-health entries (v1alpha1.DRAResourceHealth, kubernetes/kubelet
// pkg/apis/dra-health/v1alpha1/api.proto). The kubelet wants the COMPLETE device list on every message;
// devices missing from a message go Unknown after a timeout. Mapping of the kernel operstate (knd.dev/state
// attribute): up -> HEALTHY; down, lowerlayerdown, notpresent, dormant -> UNHEALTHY (message says which); no
// netdev (e.g. an RDMA-only function), "unknown" or anything else -> UNKNOWN. The health monitor's
// verdict (node-agent/src/health/), when it has one, wins: it also sees links inside pods, where
// the inventory's last host state is stale, and has no hold time (this is the current state).
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import type { LinkVerdict } from '../health/link-health.js';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';

export interface HealthInputDevice {
  name: string;
  attributes: Readonly<Record<string, unknown>>;
}

export interface DeviceHealthEntry {
  device: { pool_name: string; device_name: string };
  health: HealthStatus;
  /** Unix seconds. */
  last_updated_time: number;
  health_check_timeout_seconds: number;
  message: string;
}

const STATE_ATTR = `${DRIVER_NAME}/state`;
const UNHEALTHY_STATES = new Set(['down', 'lowerlayerdown', 'notpresent', 'dormant']);

function stateOf(attrs: Readonly<Record<string, unknown>>): string | undefined {
  const a = attrs[STATE_ATTR] as { string?: unknown } | string | undefined;
  if (typeof a === 'string') return a;
  return typeof a?.string === 'string' ? a.string : undefined;
}

export function deviceHealth(
  devices: readonly HealthInputDevice[],
  poolName: string,
  nowSec: number,
  timeoutSec = 0,
  verdicts: ReadonlyMap<string, LinkVerdict> = new Map(),
): DeviceHealthEntry[] {
  return devices.map((d) => {
    const v = verdicts.get(d.name);
    if (v && v.kind !== 'unknown')
      return {
        device: { pool_name: poolName, device_name: d.name },
        health: v.kind === 'healthy' ? 'HEALTHY' : 'UNHEALTHY',
        last_updated_time: nowSec,
        health_check_timeout_seconds: timeoutSec,
        message: v.kind === 'healthy' ? v.message : `${v.reason}: ${v.message}`,
      };
    const state = stateOf(d.attributes);
    const health: HealthStatus =
      state === 'up'
        ? 'HEALTHY'
        : state !== undefined && UNHEALTHY_STATES.has(state)
          ? 'UNHEALTHY'
          : 'UNKNOWN';
    return {
      device: { pool_name: poolName, device_name: d.name },
      health,
      last_updated_time: nowSec,
      health_check_timeout_seconds: timeoutSec,
      message: state === undefined ? 'no network interface on the host' : `link state ${state}`,
    };
  });
}

/** Holds the latest device list and tells stream subscribers when it changes. */
export class HealthBroadcaster {
  private devices: readonly HealthInputDevice[] = [];
  private verdicts: ReadonlyMap<string, LinkVerdict> = new Map();
  private verdictKey = '';
  private readonly subscribers = new Set<() => void>();
  private readonly poolName: string;
  private readonly nowSec: () => number;
  constructor(poolName: string, nowSec: () => number = () => Math.floor(Date.now() / 1000)) {
    this.poolName = poolName;
    this.nowSec = nowSec;
  }

  update(devices: readonly HealthInputDevice[]): void {
    this.devices = devices;
    for (const s of this.subscribers) s();
  }

  /** The health monitor's verdicts; subscribers hear of it only when a verdict changed. */
  setVerdicts(verdicts: ReadonlyMap<string, LinkVerdict>): void {
    const key = JSON.stringify([...verdicts].sort(([a], [b]) => (a < b ? -1 : 1)));
    this.verdicts = verdicts;
    if (key === this.verdictKey) return;
    this.verdictKey = key;
    for (const s of this.subscribers) s();
  }

  current(): DeviceHealthEntry[] {
    return deviceHealth(this.devices, this.poolName, this.nowSec(), 0, this.verdicts);
  }

  subscribe(cb: () => void): () => void {
    this.subscribers.add(cb);
    return () => {
      this.subscribers.delete(cb);
    };
  }
}
