// The chart's uninstall hooks, as two `knd` commands run from the release's own image:
// - `knd pre-uninstall --namespace NS --agent-daemonset NAME` (helm pre-delete): refuses (exit 1,
//   one line per claim) while a ResourceClaim holds a knd.dev device of a node this release's agents
//   serve in a pod that still exists. Without an agent, a NIC whose pod goes away is not handed back
//   by knd, so the pods go first (or the user passes `helm uninstall --no-hooks`).
// - `knd post-uninstall` (helm post-delete, after the operator and agents are gone): deletes what
//   they generated and Helm does not own: DeviceClasses and ResourceClaimTemplates labelled
//   app.kubernetes.io/managed-by=knd-operator, and ResourceSlices of driver knd.dev that remain.
//   The CRDs and the NetworkDeviceClass/NetworkProfile objects stay (Helm's CRD policy); a later
//   install renders the DRA objects again from them.
// Contract: reads and deletes through lib/kube with in-cluster credentials (or --kubeconfig); each
// request times out after 10 s; no retries (Helm reports a failed hook; running it again is safe:
// deleting what is already gone counts as done). Exit 0 done, 1 refused or failed, 2 bad flags.
import { KubeConfig } from '@kubernetes/client-node';
import { DRIVER_NAME, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../lib/api/constants.js';
import { isNotFound } from '../../lib/kube/errors.js';
import { KubeRestClient, resourcePath } from '../../lib/kube/rest-client.js';
import { parseFlags, type Command, type CommandIO } from '../command.js';
import {
  claimsHoldingDevices,
  describeClaimInUse,
  type ClaimInUse,
  type ClaimLike,
} from '../install-check/claims-in-use.js';

function clientFrom(
  args: string[],
  io: CommandIO,
  usage: string,
  extra: Record<string, object> = {},
): { client: KubeRestClient; flags: Record<string, string | boolean> } | undefined {
  const { flags, positional, errors } = parseFlags(args, { kubeconfig: {}, ...extra });
  if (positional.length > 0) errors.push(`unexpected argument ${positional[0] ?? ''}`);
  for (const k of Object.keys(extra)) if (typeof flags[k] !== 'string') errors.push(`--${k} is required`);
  if (errors.length > 0) {
    io.stderr(`${errors.join('\n')}\nUsage: ${usage}\n`);
    return undefined;
  }
  const kc = new KubeConfig();
  if (typeof flags['kubeconfig'] === 'string') kc.loadFromFile(flags['kubeconfig']);
  else kc.loadFromDefault();
  return { client: new KubeRestClient(kc, { fieldManager: 'knd-uninstall', timeoutMs: 10_000 }), flags };
}

/** Nodes with a pod of the agent DaemonSet: the nodes whose NICs this release hands out. */
async function servedNodes(client: KubeRestClient, ns: string, daemonSet: string): Promise<Set<string>> {
  const ds = await client.get<{ spec?: { selector?: { matchLabels?: Record<string, string> } } }>(
    resourcePath('apps/v1', 'daemonsets', ns, daemonSet),
  );
  const selector = Object.entries(ds.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await client.list<{ items: { spec?: { nodeName?: string } }[] }>(
    `${resourcePath('v1', 'pods', ns)}?labelSelector=${encodeURIComponent(selector)}`,
  );
  return new Set(pods.items.map((p) => p.spec?.nodeName ?? '').filter((n) => n !== ''));
}

/** Drops the pods that no longer exist (the claim controller has not cleared reservedFor yet). */
async function withLivePods(client: KubeRestClient, claims: readonly ClaimInUse[]): Promise<ClaimInUse[]> {
  const out: ClaimInUse[] = [];
  for (const c of claims) {
    const pods: string[] = [];
    for (const p of c.pods) {
      try {
        await client.get(resourcePath('v1', 'pods', c.namespace, p));
        pods.push(p);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (pods.length > 0) out.push({ ...c, pods });
  }
  return out;
}

export const preUninstallCommand: Command = {
  name: 'pre-uninstall',
  summary: 'Refuse to uninstall while pods hold knd devices (the chart runs it before helm uninstall)',
  usage: 'knd pre-uninstall --namespace NS --agent-daemonset NAME [--kubeconfig FILE]',
  async run(args, io) {
    const parsed = clientFrom(args, io, this.usage, { namespace: {}, 'agent-daemonset': {} });
    if (!parsed) return 2;
    const { client, flags } = parsed;
    try {
      const nodes = await servedNodes(client, String(flags['namespace']), String(flags['agent-daemonset']));
      const claims = await client.list<{ items: ClaimLike[] }>(
        resourcePath('resource.k8s.io/v1', 'resourceclaims'),
      );
      const inUse = (await withLivePods(client, claimsHoldingDevices(claims.items, DRIVER_NAME, nodes))).map(
        describeClaimInUse,
      );
      if (inUse.length > 0) {
        io.stderr(
          `knd is still in use: ${inUse.length} claim(s) hold ${DRIVER_NAME} devices in pods. Delete those pods first ` +
            `(their NICs go back to the hosts through the running agents), then uninstall again; ` +
            `\`helm uninstall --no-hooks\` uninstalls anyway (docs/packaging.md, "Install, upgrade, rollback, uninstall").\n` +
            inUse.map((l) => `  ${l}\n`).join(''),
        );
        return 1;
      }
      io.stdout(`no pod holds a ${DRIVER_NAME} device: uninstalling\n`);
      return 0;
    } catch (e) {
      io.stderr(`pre-uninstall: ${(e as Error).message}\n`);
      return 1;
    }
  },
};

export const postUninstallCommand: Command = {
  name: 'post-uninstall',
  summary: 'Delete the DRA objects knd generated (the chart runs it after helm uninstall)',
  usage: 'knd post-uninstall [--kubeconfig FILE]',
  async run(args, io) {
    const parsed = clientFrom(args, io, this.usage);
    if (!parsed) return 2;
    const { client } = parsed;
    const generated = `labelSelector=${encodeURIComponent(`${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`)}`;
    try {
      let deleted = 0;
      const remove = async (path: string): Promise<void> => {
        try {
          await client.delete(path);
          deleted++;
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      };
      type Named = { metadata?: { name?: string; namespace?: string } };
      const classes = await client.list<{ items: Named[] }>(
        `${resourcePath('resource.k8s.io/v1', 'deviceclasses')}?${generated}`,
      );
      for (const c of classes.items)
        await remove(resourcePath('resource.k8s.io/v1', 'deviceclasses', undefined, c.metadata?.name));
      const templates = await client.list<{ items: Named[] }>(
        `${resourcePath('resource.k8s.io/v1', 'resourceclaimtemplates')}?${generated}`,
      );
      for (const t of templates.items)
        await remove(
          resourcePath(
            'resource.k8s.io/v1',
            'resourceclaimtemplates',
            t.metadata?.namespace,
            t.metadata?.name,
          ),
        );
      const slices = await client.list<{ items: Named[] }>(
        `${resourcePath('resource.k8s.io/v1', 'resourceslices')}?fieldSelector=${encodeURIComponent(`spec.driver=${DRIVER_NAME}`)}`,
      );
      for (const s of slices.items)
        await remove(resourcePath('resource.k8s.io/v1', 'resourceslices', undefined, s.metadata?.name));
      io.stdout(
        `deleted ${deleted} object(s): ${classes.items.length} DeviceClass(es), ${templates.items.length} ResourceClaimTemplate(s), ${slices.items.length} ResourceSlice(s)\n`,
      );
      return 0;
    } catch (e) {
      io.stderr(`post-uninstall: ${(e as Error).message}\n`);
      return 1;
    }
  },
};
