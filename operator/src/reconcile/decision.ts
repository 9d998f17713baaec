// What one reconcile decided, before any I/O: the write (if any) and the Ready state. The
// executor (executor.ts) performs the write and may downgrade Ready when the apiserver refuses it.
import type { TaintStatus } from '../match/taint-status.js';
import type { FieldProblem } from '../render/validate-spec.js';
import { Reason, type ReadyState, type ReasonName } from '../status/conditions.js';

export type Action<T> =
  | { kind: 'none' }
  /** Object absent: POST (fails with 409 rather than overwrite one created meanwhile). */
  | { kind: 'create'; object: T }
  /** Owned object drifted: server-side apply (force) with the operator's field manager. */
  | { kind: 'apply'; object: T }
  /** Owned object whose immutable spec drifted: delete (uid precondition) then create. */
  | { kind: 'replace'; object: T; liveUid: string };

export interface Decision<T> {
  action: Action<T>;
  ready: ReadyState;
  generatedName: string;
  counts: { devices: number; nodes: number };
  /** NetworkDeviceClass only: tainted devices and the DeviceTaints condition's input. */
  taints?: TaintStatus;
}

export const NONE = { kind: 'none' } as const;

/** Ready=False from validation problems; the reason follows the first problem's field. */
export function invalid(problems: readonly FieldProblem[]): ReadyState {
  const first = problems[0]?.path ?? '';
  const reason = /^spec\.(cel|selectors)/.test(first)
    ? Reason.InvalidSelector
    : first.startsWith('spec.config')
      ? Reason.InvalidConfig
      : Reason.InvalidSpec;
  return {
    ready: false,
    reason,
    message: problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '),
  };
}

/** No write, and Ready=False for `reason`: what every refusal of a reconcile decides. */
export function refuse<T>(
  generatedName: string,
  counts: Decision<T>['counts'],
  reason: ReasonName,
  message: string,
): Decision<T> {
  return { action: NONE, generatedName, counts, ready: { ready: false, reason, message } };
}
