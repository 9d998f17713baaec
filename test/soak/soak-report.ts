/**
 * What one soak run measured (test/soak/soak-run.ts fills it in) and the pure verdict on it: the
 * list of end-state checks that failed, each with its numbers, and a plain-text summary. The soak
 * passes when `soakFailures` is empty.
 */
import type { FaultKind, RssSample, RssVerdict, SoakParams } from './soak-plan.js';

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly afterPod: number;
  /** Time from the start of the run. */
  readonly atMs: number;
  readonly tookMs: number;
  /** Set when the fault or the component's recovery failed. */
  readonly error?: string;
}

export interface NetSampling {
  /** Running claim pods looked into (`ip -o link show` inside). */
  readonly taken: number;
  /** Exec did not go through (kubelet or containerd restarting, pod going away). */
  readonly unreachable: number;
  /** "<pod>: <links seen>" for each running claim pod without net1 (must stay empty). */
  readonly withoutNet1: readonly string[];
}

export interface EndState {
  /** "<nic>: <what differs>" for each test NIC not back on the host with its initial state. */
  readonly nicsLost: readonly string[];
  /** Entries of containerd's netns directory that appeared during the run. */
  readonly netnsLeaked: readonly string[];
  /** `ip netns` entries of the soak's prefix other than the veth peers' namespace. */
  readonly ipNetnsLeaked: readonly string[];
  /** Network namespaces (other than its own) the agent still holds open. */
  readonly agentNetnsHolds: number;
  /** Sandboxes of the soak's namespace still in containerd. */
  readonly sandboxesLeft: readonly string[];
  /** Plans, attach records and completion marks left in the agent's state dir. */
  readonly stateFilesLeft: readonly string[];
  /** knd claim CDI specs that appeared during the run and are still there. */
  readonly cdiSpecsLeft: readonly string[];
  /** Time from the last pod's deletion until the node was clean (or the wait gave up). */
  readonly convergedAfterMs: number;
}

export interface SoakReport {
  readonly params: SoakParams;
  readonly durationMs: number;
  readonly podsReady: number;
  /** "<pod>: <reason>" for each pod that was not Ready in time, lacked net1, or was not deleted. */
  readonly podFailures: readonly string[];
  /** "<nic> at <s> s [(agent down)]" for each veth destroyed during the run (created again after). */
  readonly nicsDestroyed: readonly string[];
  readonly faultsPlanned: number;
  readonly faults: readonly FaultRecord[];
  readonly sampling: NetSampling;
  readonly end: EndState;
  readonly rssSamples: readonly RssSample[];
  readonly rss: RssVerdict | undefined;
}

const listed = (items: readonly string[]): string =>
  items.length <= 5 ? items.join('; ') : `${items.slice(0, 5).join('; ')}; … (${items.length} in all)`;

/** Every end-state check that failed, with its numbers; empty when the run passed. */
export function soakFailures(report: SoakReport): string[] {
  const out: string[] = [];
  const none = (what: string, items: readonly string[]): void => {
    if (items.length > 0) out.push(`${items.length} ${what}: ${listed(items)}`);
  };
  none('pod(s) failed', report.podFailures);
  if (report.podsReady !== report.params.pods) {
    out.push(`${report.podsReady} of ${report.params.pods} pods became Ready`);
  }
  if (report.faults.length !== report.faultsPlanned) {
    out.push(`${report.faults.length} of ${report.faultsPlanned} planned faults were injected`);
  }
  none(
    'fault(s) failed',
    report.faults.flatMap((f) => (f.error === undefined ? [] : [`${f.kind}: ${f.error}`])),
  );
  none('running claim pod(s) without net1', report.sampling.withoutNet1);
  none('NIC(s) destroyed with a pod network namespace during the run', report.nicsDestroyed);
  none('NIC(s) lost or changed', report.end.nicsLost);
  none('network namespace(s) leaked in containerd', report.end.netnsLeaked);
  none('ip netns namespace(s) leaked', report.end.ipNetnsLeaked);
  if (report.end.agentNetnsHolds > 0) {
    out.push(`the agent still holds ${report.end.agentNetnsHolds} pod network namespace(s)`);
  }
  none('sandbox(es) left in containerd', report.end.sandboxesLeft);
  none('file(s) left in the agent state dir', report.end.stateFilesLeft);
  none('claim CDI spec(s) left', report.end.cdiSpecsLeft);
  if (report.rss === undefined) out.push('no RSS sample of the agent was taken');
  else if (!report.rss.flat) {
    out.push(
      `agent RSS not flat: last ${report.rss.lastKiB} KiB > ${report.rss.boundKiB} KiB (first ${report.rss.firstKiB} KiB × ${report.params.rssBoundRatio})`,
    );
  }
  return out;
}

/** Human-readable summary: parameters (seed first, to repeat the run), counts, RSS, verdict. */
export function formatSoakReport(report: SoakReport): string {
  const p = report.params;
  const byKind = new Map<string, number>();
  for (const f of report.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
  const failures = soakFailures(report);
  return [
    `seed ${p.seed} (repeat with --seed ${p.seed})`,
    `pods ${p.pods}, concurrency ${p.concurrency}, NICs ${p.nics}, fault rate ${p.faultRate}, hold ≤ ${p.maxHoldMs} ms, fault delay ≤ ${p.maxFaultDelayMs} ms`,
    `duration ${(report.durationMs / 1000).toFixed(1)} s; pods Ready ${report.podsReady}/${p.pods}; pod failures ${report.podFailures.length}`,
    `faults ${report.faults.length}/${report.faultsPlanned}: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; failed ${report.faults.filter((f) => f.error !== undefined).length}`,
    `net1 sampling: ${report.sampling.taken} running claim pods looked into, ${report.sampling.withoutNet1.length} without net1, ${report.sampling.unreachable} exec attempts did not go through`,
    `NICs destroyed during the run: ${report.nicsDestroyed.length}${report.nicsDestroyed.length > 0 ? ` (${listed(report.nicsDestroyed)})` : ''}`,
    `end state (clean ${(report.end.convergedAfterMs / 1000).toFixed(1)} s after the last deletion): NICs lost/changed ${report.end.nicsLost.length}, netns leaked ${report.end.netnsLeaked.length} (containerd) + ${report.end.ipNetnsLeaked.length} (ip netns), agent netns holds ${report.end.agentNetnsHolds}, sandboxes left ${report.end.sandboxesLeft.length}, state files left ${report.end.stateFilesLeft.length}, CDI specs left ${report.end.cdiSpecsLeft.length}`,
    report.rss === undefined
      ? 'agent RSS: no sample'
      : `agent RSS (${report.rss.samples} samples after warm-up): first ${mib(report.rss.firstKiB)}, last ${mib(report.rss.lastKiB)}, max ${mib(report.rss.maxKiB)}; bound ${mib(report.rss.boundKiB)} (first × ${p.rssBoundRatio}): ${report.rss.flat ? 'flat' : 'NOT flat'}`,
    failures.length === 0 ? 'PASS' : `FAIL:\n  ${failures.join('\n  ')}`,
  ].join('\n');
}
