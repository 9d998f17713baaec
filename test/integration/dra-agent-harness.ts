// Runs the real node agent (dist/node-agent/src/main.js) as a child process against the test
// control plane, with a sysfs fixture as its hardware, for the DRA integration suites and the
// prepare benchmark. Also creates the Kubernetes objects the scheduler needs to allocate claims.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api, ResourceV1Api, ResourceV1ResourceClaim } from '@kubernetes/client-node';
import { agentNodeFlags } from '../support/agent-process.js';
import { waitFor } from '../support/kube.js';
import { KubeletRegistrationClient } from '../support/kubelet-client.js';

const here = join(import.meta.dirname, '..', '..');
/** The repository (also when this file runs compiled from another directory, as benchmarks do). */
export const repoRoot = existsSync(join(here, 'package.json')) ? here : process.cwd();
export const agentMain = join(repoRoot, 'dist', 'node-agent', 'src', 'main.js');

/** Compile the agent into dist/ (tsc emits even when unrelated files have type errors). */
export function buildAgent(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
  if (!existsSync(agentMain)) {
    throw new Error(`building the agent failed (no ${agentMain}): ${r.stdout}${r.stderr}`);
  }
}

export interface AgentDirs {
  /** Parent of the others; remove it when done. */
  base: string;
  kubeletRoot: string;
  stateDir: string;
  cdiDir: string;
}

export async function agentDirs(): Promise<AgentDirs> {
  const base = await mkdtemp(join(tmpdir(), 'knd-dra-'));
  return {
    base,
    kubeletRoot: join(base, 'kubelet'),
    stateDir: join(base, 'state'),
    cdiDir: join(base, 'cdi'),
  };
}

export interface RunningAgent {
  child: ChildProcess;
  registrationSocket: string;
  metricsPort: number;
  logs: string[];
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string>;
}

export async function startAgent(opts: {
  nodeName: string;
  sysfsRoot: string;
  dirs: AgentDirs;
  kubeconfig: string;
  /** Run the NRI plugin against this runtime socket (default: --nri=false). */
  nriSocket?: string;
  extraArgs?: string[];
  logLevel?: string;
  /** The agent's compiled entry point (default: this repository's dist/, see buildAgent). */
  main?: string;
  /** Options for node itself, before the entry point (default: the image's, see agentNodeFlags). */
  nodeArgs?: string[];
}): Promise<RunningAgent> {
  const logs: string[] = [];
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? agentNodeFlags(repoRoot)),
      opts.main ?? agentMain,
      `--node-name=${opts.nodeName}`,
      `--kubeconfig=${opts.kubeconfig}`,
      `--kubelet-root=${opts.dirs.kubeletRoot}`,
      `--state-dir=${opts.dirs.stateDir}`,
      `--cdi-dir=${opts.dirs.cdiDir}`,
      `--sysfs-root=${opts.sysfsRoot}`,
      '--netlink=false',
      ...(opts.nriSocket ? ['--nri=true', `--nri-socket=${opts.nriSocket}`] : ['--nri=false']),
      '--metrics-host=127.0.0.1',
      '--metrics-port=0',
      `--log-level=${opts.logLevel ?? 'debug'}`,
      ...(opts.extraArgs ?? []),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let metricsPort = 0;
  const onData = (b: Buffer): void => {
    for (const line of b.toString('utf8').split('\n')) {
      if (!line) continue;
      logs.push(line);
      if (line.includes('metrics server listening')) {
        const m = /"port":(\d+)/.exec(line);
        if (m?.[1]) metricsPort = Number(m[1]);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const registrationSocket = join(opts.dirs.kubeletRoot, 'plugins_registry', 'knd.dev-reg.sock');
  let dead: number | string | undefined;
  void exited.then((c) => {
    dead = c;
  });
  await waitFor(
    'the agent to serve GetInfo on its registration socket',
    async () => {
      if (dead !== undefined)
        throw new Error(`agent exited (${String(dead)}): ${logs.slice(-20).join('\n')}`);
      if (!existsSync(registrationSocket) || metricsPort === 0) return undefined;
      const reg = new KubeletRegistrationClient(registrationSocket);
      try {
        return await reg.getInfo();
      } finally {
        reg.close();
      }
    },
    { timeoutMs: 30_000 },
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\nagent log:\n${logs.slice(-30).join('\n')}`);
  });
  return {
    child,
    registrationSocket,
    get metricsPort() {
      return metricsPort;
    },
    logs,
    exited,
  };
}

export async function stopAgent(
  a: RunningAgent,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | string> {
  if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill(signal);
  return a.exited;
}

export { createFakeNode } from '../support/kube.js';

export async function waitForSliceDevices(
  resource: ResourceV1Api,
  nodeName: string,
  count: number,
): Promise<string[]> {
  return waitFor(
    `${count} knd.dev devices published for ${nodeName}`,
    async () => {
      const slices = await resource.listResourceSlice({ fieldSelector: `spec.nodeName=${nodeName}` });
      const names = slices.items
        .filter((s) => s.spec.driver === 'knd.dev')
        .flatMap((s) => (s.spec.devices ?? []).map((d) => d.name));
      return names.length >= count ? names : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

export interface ClaimSpecInput {
  className: string;
  /** CEL selecting one device, e.g. by ifName. */
  cel?: string;
  /** Opaque NetworkConfig parameters (claim-level). */
  config?: unknown;
}

/**
 * Create a ResourceClaim and a Pod using it, pinned to `nodeName` by a node selector; the real
 * scheduler allocates the claim, reserves it for the pod and binds the pod. Resolves with the
 * allocated claim.
 */
export async function createAllocatedClaim(
  core: CoreV1Api,
  resource: ResourceV1Api,
  ns: string,
  name: string,
  nodeName: string,
  spec: ClaimSpecInput,
): Promise<{ claim: ResourceV1ResourceClaim; podUid: string }> {
  await resource.createNamespacedResourceClaim({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        devices: {
          requests: [
            {
              name: 'nic',
              exactly: {
                deviceClassName: spec.className,
                ...(spec.cel ? { selectors: [{ cel: { expression: spec.cel } }] } : {}),
              },
            },
          ],
          ...(spec.config !== undefined
            ? { config: [{ requests: ['nic'], opaque: { driver: 'knd.dev', parameters: spec.config } }] }
            : {}),
        },
      },
    },
  });
  const pod = await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        resourceClaims: [{ name: 'nic', resourceClaimName: name }],
        containers: [
          { name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { claims: [{ name: 'nic' }] } },
        ],
      },
    },
  });
  const claim = await waitFor(
    `claim ${ns}/${name} allocated and reserved`,
    async () => {
      const c = await resource.readNamespacedResourceClaim({ namespace: ns, name });
      return c.status?.allocation && (c.status.reservedFor?.length ?? 0) > 0 ? c : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return { claim, podUid: pod.metadata?.uid ?? '' };
}

/**
 * Create a Pod on `nodeName` using the existing claims `claimNames` (e.g. a claim another pod already
 * uses) and wait until the scheduler has allocated each and reserved it for the pod. Resolves with
 * the pod's uid.
 */
export async function createPodUsingClaims(
  core: CoreV1Api,
  resource: ResourceV1Api,
  ns: string,
  name: string,
  nodeName: string,
  claimNames: string[],
): Promise<string> {
  const pod = await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        resourceClaims: claimNames.map((c, i) => ({ name: `n${i}`, resourceClaimName: c })),
        containers: [
          {
            name: 'c',
            image: 'registry.k8s.io/pause:3.10',
            resources: { claims: claimNames.map((_c, i) => ({ name: `n${i}` })) },
          },
        ],
      },
    },
  });
  const uid = pod.metadata?.uid ?? '';
  for (const c of claimNames) {
    await waitFor(
      `claim ${ns}/${c} allocated and reserved for pod ${name}`,
      async () => {
        const claim = await resource.readNamespacedResourceClaim({ namespace: ns, name: c });
        return claim.status?.allocation && claim.status.reservedFor?.some((r) => r.uid === uid)
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }
  return uid;
}
