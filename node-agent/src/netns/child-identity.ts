// Identity of a shared device's child link: its MAC (stable per claim, request and device, so a
// restarted pod or a re-run attach gets the same one) and the alias marker by which knd recognises
// its own children (detach, orphan sweep), plus the token-bucket sizing of its egress share.
// Pure; table-tested.
import { createHash } from 'node:crypto';
import type { TbfSpec } from './child-encode.js';

/** A child's marker prefix; distinct from the moved-NIC marker `knd:` (host-state.ts). */
export const CHILD_MARKER_PREFIX = 'knd-child:';
const ALIAS_MAX_BYTES = 255;

export interface ChildKey {
  claimUid: string;
  request: string;
  deviceName: string;
}

export interface ChildMarker extends ChildKey {
  /** The parent link's name on the host. */
  parentIfName: string;
}

/**
 * A locally administered unicast MAC (x2:..) from SHA-256 of claim UID, request and device:
 * the same claim always gets the same MAC; two claims collide with probability ~2^-46 each.
 */
export function childMac(k: ChildKey): string {
  const h = createHash('sha256').update(`${k.claimUid}\0${k.request}\0${k.deviceName}`).digest();
  const first = ((h[0] ?? 0) & 0xfc) | 0x02;
  return [first, ...h.subarray(1, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function encodeChildMarker(m: ChildMarker): string {
  const text = CHILD_MARKER_PREFIX + JSON.stringify([m.claimUid, m.request, m.deviceName, m.parentIfName]);
  if (Buffer.byteLength(text) > ALIAS_MAX_BYTES)
    throw new Error(`child marker of claim ${m.claimUid} is ${Buffer.byteLength(text)} bytes, more than 255`);
  return text;
}

/** The marker in an alias, or undefined for any other alias (including the moved-NIC marker). */
export function decodeChildMarker(alias: string | undefined): ChildMarker | undefined {
  if (alias === undefined || !alias.startsWith(CHILD_MARKER_PREFIX)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(alias.slice(CHILD_MARKER_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 4 || !v.every((s) => typeof s === 'string')) return undefined;
  const [claimUid, request, deviceName, parentIfName] = v;
  if (
    claimUid === undefined ||
    request === undefined ||
    deviceName === undefined ||
    parentIfName === undefined
  )
    return undefined;
  return { claimUid, request, deviceName, parentIfName };
}

export const sameChild = (a: ChildKey, b: ChildKey): boolean =>
  a.claimUid === b.claimUid && a.request === b.request && a.deviceName === b.deviceName;

/** Bucket: 10 ms of the rate, at least 4 full frames. Queue: 50 ms of the rate plus the bucket. */
export const TBF_BURST_MS = 10;
export const TBF_LATENCY_MS = 50;

/** The tbf parameters of an egress share of `rateBitsPerSecond` on a link of `mtu` bytes. */
export function tbfFor(rateBitsPerSecond: number, mtu: number): TbfSpec {
  if (!Number.isFinite(rateBitsPerSecond) || rateBitsPerSecond < 8_000)
    throw new Error(`egress rate ${rateBitsPerSecond} bit/s: must be at least 8000 bit/s`);
  const bytesPerMs = rateBitsPerSecond / 8 / 1000;
  const frame = Math.max(mtu, 1500) + 14;
  const burstBytes = Math.min(Math.max(Math.ceil(bytesPerMs * TBF_BURST_MS), 4 * frame), 0xffffffff);
  const limitBytes = Math.min(Math.ceil(bytesPerMs * TBF_LATENCY_MS) + burstBytes, 0xffffffff);
  return { rateBitsPerSecond, burstBytes, limitBytes };
}

/**
 * Crash recovery: the pod namespaces that hold children of persisted attach records, each with
 * the children to keep (those records); any other knd child in them is an orphan.
 */
export function childSweepTargets(
  records: readonly {
    claimUid: string;
    deviceName: string;
    netnsPath: string;
    child?: { request: string };
  }[],
): Map<string, (c: ChildKey) => boolean> {
  const keep = new Map<string, ChildKey[]>();
  for (const r of records) {
    if (r.child === undefined) continue;
    const list = keep.get(r.netnsPath) ?? [];
    list.push({ claimUid: r.claimUid, request: r.child.request, deviceName: r.deviceName });
    keep.set(r.netnsPath, list);
  }
  return new Map([...keep].map(([path, keys]) => [path, (c: ChildKey) => keys.some((k) => sameChild(k, c))]));
}
