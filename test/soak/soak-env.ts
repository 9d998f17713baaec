/**
 * Set-up and tear-down of the soak test's world on the real node (callers: bench/soak.ts and
 * test/e2e-workflow/knd-soak.test.ts): veth pairs `kndSk<i>` as NICs, knd's CRDs, a namespace of its
 * own, the operator and the agent as host processes (processTarget, with a state dir of this run
 * only, so that whatever is left in it at the end is the run's), one NetworkDeviceClass selecting
 * every `kndSk*` NIC and one NetworkProfile with the secondary-nic example's config. Root on Linux,
 * with the control plane and the node tier up. setUp fails loudly with the step that failed;
 * tearDown undoes whatever setUp got to (pods first, while the agent still runs, so every NIC goes
 * back through the agent) and reports every step that failed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { kubectl, ensureNode, type NodeInfo, type NodeOptions } from '../support/node.js';
import { repoRootOf, runDirOf, type ProcessOptions } from '../support/agent-process.js';
import { uniqueName, waitFor } from '../support/kube.js';
import { processTarget, type AgentTarget } from '../e2e-workflow/agent-targets.js';
import {
  apply,
  createTestNics,
  deviceClass,
  exampleSecondaryNicConfig,
  installCrds,
  networkProfile,
  waitDevicesPublished,
  type TestNics,
} from '../e2e/knd-e2e-env.js';
import { claimCdiSpecs, listContainerdNetns } from './soak-node-state.js';

export const SOAK_NIC_PREFIX = 'kndSk';
export const SOAK_TEMPLATE = 'soak-net';

export interface SoakEnv {
  readonly tag: string;
  readonly namespace: string;
  readonly className: string;
  readonly runDir: string;
  /** The agent's --state-dir, this run's only. */
  readonly stateDir: string;
  /** The runtime's dynamic CDI directory (containerd-up.sh cdi_spec_dirs). */
  readonly cdiDir: string;
  readonly target: AgentTarget;
  /** For the node-tier helpers: the repository root also when running from a dist/ copy. */
  readonly nodeOptions: NodeOptions;
  node?: NodeInfo;
  nics?: TestNics;
  namespaceCreated: boolean;
  /** What was on the node before the first pod: only what appears afterwards counts as left over. */
  baseline?: { readonly containerdNetns: ReadonlySet<string>; readonly cdiSpecs: ReadonlySet<string> };
}

export function newSoakEnv(processOptions: ProcessOptions = {}): SoakEnv {
  const tag = uniqueName('s').slice(2);
  const runDir = runDirOf();
  const stateDir = path.join(runDir, `knd-soak-${tag}`, 'state');
  return {
    tag,
    namespace: `knd-soak-${tag}`,
    className: `soak-${tag}`,
    runDir,
    stateDir,
    cdiDir: '/var/run/cdi',
    target: processTarget({ stateDir, process: processOptions }),
    nodeOptions: { repoRoot: repoRootOf(processOptions) },
    namespaceCreated: false,
  };
}

export async function setUpSoak(env: SoakEnv, nicCount: number): Promise<void> {
  env.node = await ensureNode(env.nodeOptions);
  env.nics = await createTestNics(SOAK_NIC_PREFIX, nicCount);
  const config = await exampleSecondaryNicConfig(repoRootOf());
  await installCrds(repoRootOf());
  await kubectl(['create', 'namespace', env.namespace]);
  env.namespaceCreated = true;
  await env.target.setUp(env.node, env.tag);
  await waitDevicesPublished(env.node.nodeName, env.nics.names, 120_000);
  await apply([deviceClass(env.className, [`${SOAK_NIC_PREFIX}*`])]);
  await apply([networkProfile(SOAK_TEMPLATE, env.className, config)], env.namespace);
  // the operator renders the ResourceClaimTemplate of the same name
  await waitFor(
    `ResourceClaimTemplate ${env.namespace}/${SOAK_TEMPLATE}`,
    async () =>
      (await kubectl(['get', 'resourceclaimtemplate', '-n', env.namespace, SOAK_TEMPLATE])) || undefined,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  env.baseline = {
    containerdNetns: new Set(await listContainerdNetns()),
    cdiSpecs: new Set(await claimCdiSpecs(env.cdiDir)),
  };
}

/** Undoes setUpSoak; `keepStateDir` leaves the agent's state dir for a post-mortem. */
export async function tearDownSoak(env: SoakEnv, keepStateDir: boolean): Promise<void> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  if (env.namespaceCreated) {
    await attempt('delete namespace', () =>
      kubectl(['delete', 'namespace', env.namespace, '--wait=true', '--timeout=180s']),
    );
  }
  await attempt('delete device class', () =>
    kubectl(['delete', 'networkdeviceclass', env.className, '--ignore-not-found']),
  );
  await attempt('stop the operator and the agent', () => env.target.tearDown());
  if (env.nics !== undefined) {
    const nics = env.nics;
    await attempt('remove test NICs', () => nics.remove());
  }
  if (!keepStateDir) {
    await attempt('remove the state dir', () =>
      rm(path.dirname(env.stateDir), { recursive: true, force: true }),
    );
  }
  if (problems.length > 0) throw new Error(`soak clean-up failed:\n${problems.join('\n')}`);
}
