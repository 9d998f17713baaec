// Pure: device health verdicts over time -> the knd.dev/unhealthy taints to publish.
//
// - An unhealthy verdict taints the device at once (timeAdded = now, seconds precision); a later
//   unhealthy verdict with another reason changes the value and keeps timeAdded (a NoExecute
//   toleration's tolerationSeconds count from the first problem).
// - A healthy verdict starts the hold time; the taint goes only after the device was healthy for
//   holdMs without interruption (no flapping). An unhealthy verdict during the hold restarts it.
// - An unknown verdict (nothing observed, e.g. the link is moving between namespaces) changes
//   nothing, and a running hold continues.
// - A device no longer published is forgotten.
// - The effect comes from effectOf(device) on every plan, so a NetworkDeviceClass edit applies
//   without waiting for a health change.
// The result says when to plan again (the earliest hold expiry), so the caller needs no poll.
import {
  HEALTH_TAINT_KEY,
  type DeviceTaint,
  type HealthReasonName,
  type TaintEffect,
} from '../../../lib/api/device-taints.js';
import type { LinkVerdict } from './link-health.js';

export interface TaintEntry {
  reason: HealthReasonName;
  /** RFC 3339, seconds precision. */
  timeAdded: string;
  /** Set while the device is healthy again and the hold runs (ms since the epoch). */
  healthySinceMs?: number;
}

export interface PlanInput {
  previous: ReadonlyMap<string, TaintEntry>;
  /** Verdict per published device; a published device without a verdict counts as unknown. */
  verdicts: ReadonlyMap<string, LinkVerdict>;
  published: readonly string[];
  nowMs: number;
  holdMs: number;
  effectOf: (device: string) => TaintEffect;
}

export interface PlanResult {
  entries: Map<string, TaintEntry>;
  /** Taints per tainted device, in the shape the ResourceSlice carries. */
  taints: Map<string, DeviceTaint[]>;
  /** When the next hold expires (ms since the epoch), if any hold runs. */
  wakeAtMs?: number;
}

/** RFC 3339 at seconds precision, as the apiserver stores metav1.Time. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function planTaints(input: PlanInput): PlanResult {
  const entries = new Map<string, TaintEntry>();
  const taints = new Map<string, DeviceTaint[]>();
  let wakeAtMs: number | undefined;
  for (const name of input.published) {
    const prev = input.previous.get(name);
    const v = input.verdicts.get(name) ?? { kind: 'unknown', message: '' };
    let next: TaintEntry | undefined = prev;
    if (v.kind === 'unhealthy') {
      next = { reason: v.reason, timeAdded: prev?.timeAdded ?? rfc3339Seconds(input.nowMs) };
    } else if (v.kind === 'healthy' && prev) {
      const since = prev.healthySinceMs ?? input.nowMs;
      const until = since + input.holdMs;
      if (input.nowMs >= until) next = undefined;
      else {
        next = { ...prev, healthySinceMs: since };
        wakeAtMs = Math.min(wakeAtMs ?? until, until);
      }
    } else if (prev?.healthySinceMs !== undefined) {
      // unknown: the hold keeps running, but only a healthy verdict ends it
      const until = prev.healthySinceMs + input.holdMs;
      if (until > input.nowMs) wakeAtMs = Math.min(wakeAtMs ?? until, until);
    }
    if (!next) continue;
    entries.set(name, next);
    taints.set(name, [
      { key: HEALTH_TAINT_KEY, value: next.reason, effect: input.effectOf(name), timeAdded: next.timeAdded },
    ]);
  }
  return { entries, taints, ...(wakeAtMs !== undefined ? { wakeAtMs } : {}) };
}
