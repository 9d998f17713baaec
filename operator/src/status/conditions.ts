// Status computation helpers: the Ready condition, and "did anything change" so status is written
// only when it does. Pure.
import type { Condition } from '../../../lib/api/network-device-class.js';

/** Reasons on the Ready condition (docs/operator.md lists what to do about each). */
export const Reason = {
  Reconciled: 'Reconciled',
  InvalidSpec: 'InvalidSpec',
  InvalidSelector: 'InvalidSelector',
  InvalidConfig: 'InvalidConfig',
  ClassNotFound: 'ClassNotFound',
  DeviceClassConflict: 'DeviceClassConflict',
  TemplateConflict: 'TemplateConflict',
  ApplyFailed: 'ApplyFailed',
  ConsumableCapacityUnavailable: 'ConsumableCapacityUnavailable',
  ConsumableCapacityUnknown: 'ConsumableCapacityUnknown',
} as const;
export type ReasonName = (typeof Reason)[keyof typeof Reason];

export interface ReadyState {
  ready: boolean;
  reason: ReasonName;
  message: string;
}

export interface CommonStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  matchedDevices?: number;
  matchedNodes?: number;
}

/** The Ready condition, keeping lastTransitionTime when the status did not flip. */
export function readyCondition(
  state: ReadyState,
  generation: number | undefined,
  previous: readonly Condition[] | undefined,
  nowIso: string,
): Condition {
  const status = state.ready ? 'True' : 'False';
  const old = previous?.find((c) => c.type === 'Ready');
  return {
    type: 'Ready',
    status,
    reason: state.reason,
    message: state.message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : nowIso,
  };
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : x,
  );
}

/** Order-insensitive (for object keys) deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

export function statusChanged(live: unknown, next: unknown): boolean {
  return !jsonEqual(live ?? {}, next);
}
