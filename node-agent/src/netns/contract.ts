// The narrow interface between the NRI handlers and the only code that changes kernel state.
// Implementations live in this folder; every step they take is paired with its undo.
import type { DevicePlan } from '../plan-store/plan.js';

/**
 * What is needed to give a netdev back to the host exactly as it was, recorded (persisted by the
 * caller) before the attach changes anything, and completed as the attach proceeds.
 */
export interface HostLinkState {
  ifName: string;
  mtu: number;
  mac: string;
  up: boolean;
  /** Global-scope addresses on the host before the move (CIDR). */
  addresses: string[];
  /** Host routes through this link before the move (destination CIDR + optional gateway/metric/table/scope). */
  routes: {
    destination: string;
    gateway?: string;
    source?: string;
    table?: number;
    scope?: number;
    metric?: number;
  }[];
  alias?: string;
}

export interface AttachRecord {
  claimUid: string;
  podUid: string;
  deviceName: string;
  /** Network namespace the link was moved into (bind-mount path or /proc/<pid>/ns/net). */
  netnsPath: string;
  podIfName: string;
  host: HostLinkState;
  /**
   * Set when the device is a shared NIC's child created in the pod (DevicePlan.child): `host` is
   * then the parent as found (never changed), and detach deletes the child instead of moving.
   */
  child?: {
    kind: 'macvlan';
    mode: 'bridge' | 'private' | 'vepa';
    /** Request the device serves (with claimUid and deviceName: the child's marker identity). */
    request: string;
    mac: string;
    egressBitsPerSecond?: number;
  };
  /** What the pod ended up with, read back from the kernel (for KEP-4817 networkData). */
  result?: { ifName: string; mac: string; addresses: string[] };
}

/** Optional callbacks of one attach (added by the kernel side; older callers pass none). */
export interface AttachHooks {
  /**
   * Called once with the record (host state read from the kernel, no `result`) before the first
   * kernel change; awaited. A rejection aborts the attach before anything changed.
   */
  onRecord?: (record: AttachRecord) => Promise<void>;
}

/**
 * Where the attach guard (node-agent/src/cdi/attach-guard.ts) learns that an attach COMPLETED:
 * set after the last attach step, cleared before a detach or a rollback changes anything. The
 * guard lets a container start only while it is set for the container's network namespace.
 */
export interface AttachCompletion {
  /** Called after the last attach step; a rejection fails the attach (which is then rolled back). */
  set(record: AttachRecord): Promise<void>;
  /** Idempotent (clearing what is not set is not an error). */
  clear(key: { claimUid: string; deviceName: string }): Promise<void>;
}

/**
 * True when `e` is an attach failure whose rollback provably completed (the NIC is back on the
 * host as it was). Anything else, including errors that do not say, must be treated as "the NIC
 * may still be in the pod": keep the attach record so a detach finds it later.
 */
export function attachRolledBack(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { rolledBack?: unknown }).rolledBack === true;
}

export interface NetnsOps {
  /** Move and configure one device; on any failure roll back and throw. Idempotent for a completed attach. */
  attach(
    plan: DevicePlan,
    netnsPath: string,
    ids: { claimUid: string; podUid: string },
    hooks?: AttachHooks,
  ): Promise<AttachRecord>;
  /** Give the device back to the host as recorded. Idempotent; works when the netns is already gone. */
  detach(record: AttachRecord): Promise<void>;
  /**
   * Keep the namespaces of records persisted by an earlier agent process alive until their detach
   * (startup). Returns how many could still be held.
   */
  adopt?(records: readonly AttachRecord[]): number;
}
