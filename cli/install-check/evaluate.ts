// What "knd is installed and working" means, as a pure function over objects read from the API:
// the agent DaemonSet has a Ready pod on every node it targets (Ready = DRA sockets served, the
// kubelet registered the plugin, first NIC scan done), each of those nodes has published its pool of
// knd.dev ResourceSlices (an empty pool is one slice without devices), and the operator Deployment is
// available with its leader Lease held by one of its running pods. Used by `knd check-install`, which
// is what `helm test` runs.

export interface CheckFacts {
  readonly agent?: {
    readonly desired: number;
    readonly ready: number;
    /** Nodes with a Ready agent pod. */
    readonly readyNodes: readonly string[];
  };
  /** spec.nodeName of every knd.dev ResourceSlice. */
  readonly sliceNodes: readonly string[];
  readonly operator?: {
    readonly replicas: number;
    readonly ready: number;
    /** Names of the operator's Running pods. */
    readonly runningPods: readonly string[];
    /** holderIdentity of its Lease (`<pod name>-<random>`); undefined when there is no Lease yet. */
    readonly leaseHolder?: string;
    readonly leaderElection: boolean;
  };
}

export interface CheckResult {
  readonly ok: boolean;
  readonly what: string;
}

export function evaluateInstall(f: CheckFacts): CheckResult[] {
  const out: CheckResult[] = [];
  if (f.agent) {
    const a = f.agent;
    out.push({
      ok: a.desired > 0 && a.ready === a.desired,
      what: `agent DaemonSet: ${a.ready}/${a.desired} pods Ready (served, registered with the kubelet, NICs scanned)`,
    });
    const published = new Set(f.sliceNodes);
    const missing = a.readyNodes.filter((n) => !published.has(n));
    out.push({
      ok: a.readyNodes.length > 0 && missing.length === 0,
      what:
        missing.length === 0
          ? `ResourceSlices of knd.dev published for ${a.readyNodes.length} node(s)`
          : `no knd.dev ResourceSlice for node(s) ${missing.join(', ')}`,
    });
  }
  if (f.operator) {
    const o = f.operator;
    out.push({
      ok: o.replicas > 0 && o.ready === o.replicas,
      what: `operator Deployment: ${o.ready}/${o.replicas} replicas Ready`,
    });
    if (o.leaderElection) {
      const holder = o.leaseHolder ?? '';
      // the operator's Lease identity is its pod name (hostname) and a random suffix
      const pod = o.runningPods.find((p) => holder === p || holder.startsWith(`${p}-`));
      out.push({
        ok: pod !== undefined,
        what:
          holder === ''
            ? 'operator Lease: no leader yet'
            : pod !== undefined
              ? `operator Lease held by ${holder} (pod ${pod})`
              : `operator Lease held by ${holder}, which is not a running operator pod`,
      });
    }
  }
  return out;
}
