/**
 * knd installed the way users install it, on the local node: images built by hack/images/build.sh
 * (buildah) and imported into the node's containerd, the chart installed by hack/install-local.sh
 * (`helm upgrade --install` with hack/local-node-values.yaml), pods run by the real kubelet.
 *
 * Contract: every helper throws with the command's output tail when it fails (no skip). The node
 * (kubelet + containerd) and the control plane must be up (test/support/node.ts ensureNode()).
 * Helpers that wait take a timeout in ms and fail with what they last saw.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crictl, kubectl, outputTail } from './node.js';
import { cachedBinary } from './versions.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HELM_BIN = cachedBinary('helm', 'helm');
/** Host directory of the agent's durable state (the chart's agent.stateDir default). */
export const HELM_AGENT_STATE_DIR = '/var/lib/knd';

function run(file: string, args: readonly string[], timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${what} failed: ${outputTail(`${stderr}\n${stdout}`, 25)}`, { cause: error }));
      },
    );
  });
}

const kubeconfig = (): string =>
  process.env['KND_KUBECONFIG'] ??
  path.join(process.env['KND_RUN_DIR'] ?? '/var/tmp/knd-cluster', 'admin.kubeconfig');

export function helm(args: readonly string[], timeoutMs = 300_000): Promise<string> {
  return run(HELM_BIN, [...args, '--kubeconfig', kubeconfig()], timeoutMs, `helm ${args.join(' ')}`);
}

/**
 * Builds both images (a cache hit when nothing changed) and imports them into the node's containerd.
 * `buildLabel` gives the images a label of that value: same layers, a new image id ("a new image").
 */
export async function buildAndImportImages(tag = 'dev', buildLabel?: string): Promise<void> {
  await run(
    'bash',
    [
      path.join(repoRoot, 'hack/images/build.sh'),
      '--import',
      '--tag',
      tag,
      ...(buildLabel !== undefined ? ['--build-label', buildLabel] : []),
    ],
    1_800_000,
    'hack/images/build.sh',
  );
}

export interface Release {
  readonly name: string;
  readonly namespace: string;
}

/** `helm upgrade --install` through hack/install-local.sh; waits for the rollout. */
export async function installLocal(
  release: Release,
  extra: readonly string[] = [],
  tag = 'dev',
): Promise<string> {
  return run(
    'bash',
    [
      path.join(repoRoot, 'hack/install-local.sh'),
      '--release',
      release.name,
      '--namespace',
      release.namespace,
      '--tag',
      tag,
      ...extra,
    ],
    300_000,
    `hack/install-local.sh ${release.name}`,
  );
}

export async function uninstall(release: Release): Promise<void> {
  await helm(['uninstall', release.name, '-n', release.namespace, '--wait', '--timeout', '120s']);
}

interface PodItem {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { image?: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; ready?: boolean; restartCount?: number; image?: string }[];
  };
}

const agentSelector = (r: Release): string =>
  `app.kubernetes.io/instance=${r.name},app.kubernetes.io/component=agent`;

export async function agentPods(release: Release): Promise<PodItem[]> {
  const out = await kubectl([
    'get',
    'pods',
    '-n',
    release.namespace,
    '-l',
    agentSelector(release),
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: PodItem[] }).items;
}

const isReady = (p: PodItem): boolean =>
  p.metadata.deletionTimestamp === undefined &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Waits for a Ready agent pod (Ready = DRA sockets served, registered with the kubelet, NICs scanned)
 * whose uid is not in `notUids`; resolves with it.
 */
export async function waitAgentReady(
  release: Release,
  notUids: readonly string[] = [],
  timeoutMs = 120_000,
): Promise<PodItem> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  for (;;) {
    const pods = await agentPods(release);
    const ready = pods.find((p) => isReady(p) && !notUids.includes(p.metadata.uid));
    if (ready) return ready;
    seen = pods
      .map((p) => `${p.metadata.name} ${p.status?.phase ?? '?'}${isReady(p) ? ' Ready' : ''}`)
      .join('; ');
    if (Date.now() > deadline)
      throw new Error(
        `no new Ready agent pod of ${release.name} within ${timeoutMs} ms (pods: ${seen || 'none'})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Host pid of the agent container's main process, from the runtime (crictl inspect). */
export async function agentHostPid(pod: PodItem): Promise<number> {
  const id = (pod.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`agent pod ${pod.metadata.name} has no running container`);
  const info = JSON.parse(await crictl(['inspect', id])) as { info?: { pid?: number } };
  const pid = info.info?.pid ?? 0;
  if (pid <= 0) throw new Error(`crictl inspect ${id} gave no pid`);
  return pid;
}

/**
 * The agent dies at once, mid-whatever it was doing (SIGKILL to its process), and its pod is deleted
 * (force, no grace), so the DaemonSet makes a new one. Resolves with the old pod's uid.
 */
export async function killAgentPod(release: Release): Promise<string> {
  const pods = (await agentPods(release)).filter((p) => p.metadata.deletionTimestamp === undefined);
  const pod = pods[0];
  if (!pod) throw new Error(`no agent pod of ${release.name} to kill`);
  process.kill(await agentHostPid(pod), 'SIGKILL');
  await kubectl([
    'delete',
    'pod',
    '-n',
    release.namespace,
    pod.metadata.name,
    '--grace-period=0',
    '--force',
    '--wait=false',
  ]);
  return pod.metadata.uid;
}

/** Waits until the release's agent pods are all gone (after an uninstall or a scale-down). */
export async function waitNoAgentPods(release: Release, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await agentPods(release);
    if (pods.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `agent pods still there after ${timeoutMs} ms: ${pods.map((p) => p.metadata.name).join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `helm test` and the check-install pod's log lines. */
export async function helmTest(release: Release): Promise<string> {
  await helm(['test', release.name, '-n', release.namespace, '--timeout', '180s']);
  // the chart's fullname: the release name when it contains "knd", else <release>-knd
  const fullname = release.name.includes('knd') ? release.name : `${release.name}-knd`;
  return kubectl(['logs', '-n', release.namespace, `${fullname}-check-install`]);
}
