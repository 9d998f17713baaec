// `knd check-install --namespace NS [--agent-daemonset NAME] [--operator-deployment NAME] [--lease NAME]
//                    [--timeout-seconds N] [--kubeconfig FILE]`
// Checks that an installed release works (cli/install-check/evaluate.ts says what that means), polling
// until every check passes or the timeout runs out. The chart's `helm test` pod runs it with the
// release's object names; an operator may run it from a workstation with --kubeconfig.
// Contract: read-only (get/list); one round of reads per second; exit 0 when every check passed,
// 1 with the failing checks at the timeout, 2 on bad flags.
import { KubeConfig } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { isNotFound } from '../../lib/kube/errors.js';
import { KubeRestClient, resourcePath } from '../../lib/kube/rest-client.js';
import { parseFlags, type Command } from '../command.js';
import { evaluateInstall, type CheckFacts, type CheckResult } from '../install-check/evaluate.js';

interface Named {
  metadata?: { name?: string };
}
interface PodList {
  items: (Named & {
    spec?: { nodeName?: string };
    status?: { phase?: string; conditions?: { type: string; status: string }[] };
  })[];
}
interface Workload {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: { desiredNumberScheduled?: number; numberReady?: number; readyReplicas?: number };
}

const selectorOf = (w: Workload): string =>
  Object.entries(w.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const isReady = (p: PodList['items'][number]): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function readFacts(
  client: KubeRestClient,
  ns: string,
  names: { agent?: string; operator?: string; lease?: string },
): Promise<CheckFacts> {
  const pods = async (w: Workload): Promise<PodList['items']> =>
    (
      await client.list<PodList>(
        `${resourcePath('v1', 'pods', ns)}?labelSelector=${encodeURIComponent(selectorOf(w))}`,
      )
    ).items;
  const slices = await client.list<{ items: { spec?: { driver?: string; nodeName?: string } }[] }>(
    resourcePath('resource.k8s.io/v1', 'resourceslices'),
  );
  const facts: { -readonly [K in keyof CheckFacts]: CheckFacts[K] } = {
    sliceNodes: slices.items
      .filter((s) => s.spec?.driver === DRIVER_NAME)
      .map((s) => s.spec?.nodeName ?? '')
      .filter((n) => n !== ''),
  };
  if (names.agent) {
    const ds = await client.get<Workload>(resourcePath('apps/v1', 'daemonsets', ns, names.agent));
    facts.agent = {
      desired: ds.status?.desiredNumberScheduled ?? 0,
      ready: ds.status?.numberReady ?? 0,
      readyNodes: (await pods(ds)).filter(isReady).map((p) => p.spec?.nodeName ?? ''),
    };
  }
  if (names.operator) {
    const dep = await client.get<Workload>(resourcePath('apps/v1', 'deployments', ns, names.operator));
    let leaseHolder: string | undefined;
    if (names.lease) {
      try {
        const lease = await client.get<{ spec?: { holderIdentity?: string } }>(
          resourcePath('coordination.k8s.io/v1', 'leases', ns, names.lease),
        );
        leaseHolder = lease.spec?.holderIdentity;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    facts.operator = {
      replicas: dep.spec?.replicas ?? 0,
      ready: dep.status?.readyReplicas ?? 0,
      runningPods: (await pods(dep))
        .filter((p) => p.status?.phase === 'Running')
        .map((p) => p.metadata?.name ?? ''),
      leaderElection: names.lease !== undefined,
      ...(leaseHolder !== undefined ? { leaseHolder } : {}),
    };
  }
  return facts;
}

export const checkInstallCommand: Command = {
  name: 'check-install',
  summary: 'Check that an installed knd release works (what `helm test` runs)',
  usage:
    'knd check-install --namespace NS [--agent-daemonset NAME] [--operator-deployment NAME] [--lease NAME] [--timeout-seconds N] [--kubeconfig FILE]',
  async run(args, io) {
    const { flags, positional, errors } = parseFlags(args, {
      namespace: { alias: 'n' },
      'agent-daemonset': {},
      'operator-deployment': {},
      lease: {},
      'timeout-seconds': {},
      kubeconfig: {},
    });
    const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? flags[k] : undefined);
    const ns = str('namespace');
    if (!ns) errors.push('--namespace is required');
    const agent = str('agent-daemonset');
    const operator = str('operator-deployment');
    if (!agent && !operator) errors.push('give --agent-daemonset, --operator-deployment or both');
    const timeoutSeconds = Number(str('timeout-seconds') ?? '120');
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)
      errors.push(
        `--timeout-seconds: must be a whole number of seconds, got "${str('timeout-seconds') ?? ''}"`,
      );
    if (positional.length > 0) errors.push(`unexpected argument ${positional[0] ?? ''}`);
    if (errors.length > 0 || !ns) {
      io.stderr(`${errors.join('\n')}\nUsage: ${this.usage}\n`);
      return 2;
    }
    const kc = new KubeConfig();
    const kubeconfig = str('kubeconfig');
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    const client = new KubeRestClient(kc, { fieldManager: 'knd-check-install', timeoutMs: 10_000 });
    const lease = str('lease');
    const names = {
      ...(agent ? { agent } : {}),
      ...(operator ? { operator } : {}),
      ...(lease ? { lease } : {}),
    };
    const deadline = Date.now() + timeoutSeconds * 1000;
    let results: CheckResult[] = [];
    let lastError = '';
    for (;;) {
      try {
        results = evaluateInstall(await readFacts(client, ns, names));
        lastError = '';
        if (results.every((r) => r.ok)) break;
      } catch (e) {
        lastError = (e as Error).message;
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const r of results) io.stdout(`${r.ok ? 'ok' : 'FAILED'}: ${r.what}\n`);
    if (lastError !== '') io.stderr(`check-install: reading the cluster failed: ${lastError}\n`);
    return lastError === '' && results.length > 0 && results.every((r) => r.ok) ? 0 : 1;
  },
};
