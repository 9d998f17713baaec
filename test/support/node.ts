/**
 * Node-tier helpers for tests: a real containerd 2.x (NRI + CDI) and a real kubelet, started by the
 * shell scripts under test/cluster/ (containerd-up.sh, node-up.sh and their -down twins).
 *
 * Contract:
 * - Callers: test/e2e/*.test.ts and runtime-tier suites (NRI, DRA). Run as root on Linux.
 * - Idempotent: ensureContainerd()/ensureNode() reuse what is running (the scripts keep PID files in
 *   $KND_RUN_DIR/pids); a warm call costs one script run (~0.2 s).
 * - Time limits: every script run has a timeout (default 300 s, covers a cold containerd build); the
 *   scripts themselves wait at most KND_CONTAINERD_READY_TIMEOUT_S / KND_NODE_READY_TIMEOUT_S.
 * - No retries: a failure throws an Error naming the script, its exit status and the tail of its
 *   output, which names the missing piece (package, binary, control plane, log file). Never skipped.
 * - restartContainerd() stops only the daemon (pods and shims keep running), restartKubelet() only the
 *   kubelet; both wait until the component is ready again.
 * - A running kubelet kills crictl-made sandboxes it does not know: suites that use `crictl runp` call
 *   stopKubelet() first; suites that need the kubelet call ensureNode(), which starts it again.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { kubeVersion as defaultKubeVersion } from './versions.js';

/** Images imported by containerd-up.sh into namespace k8s.io; use imagePullPolicy: Never. */
export const PAUSE_IMAGE = 'localhost/pause:local';
export const BUSYBOX_IMAGE = 'localhost/busybox:local';

export interface NodeOptions {
  /** Repository root holding test/cluster/ (default: derived from this file's location). */
  readonly repoRoot?: string;
  /** Extra environment for the scripts (KND_RUN_DIR, KND_NODE_NAME, KND_KUBELET_ROOT, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Time limit for one script run (default 300000 ms). */
  readonly timeoutMs?: number;
}

export interface ContainerdInfo {
  /** containerd's gRPC socket (CRI endpoint without the unix:// prefix). */
  readonly socketPath: string;
  /** NRI socket external plugins connect to. */
  readonly nriSocketPath: string;
  /** crictl configuration file pointing at socketPath. */
  readonly crictlConfigPath: string;
  /** The crictl binary built by test/cluster/build.sh. */
  readonly crictlPath: string;
  readonly runDir: string;
  readonly pauseImage: string;
  readonly busyboxImage: string;
}

export interface NodeInfo extends ContainerdInfo {
  readonly nodeName: string;
  /** kubelet --root-dir; DRA sockets live in <rootDir>/plugins_registry and <rootDir>/plugins/<driver>. */
  readonly kubeletRootDir: string;
  /** The Node's InternalIP (gateway of the pod bridge); the kubelet serves on it. */
  readonly nodeIp: string;
}

const DEFAULT_TIMEOUT_MS = 300_000;

function repoRootOf(options: NodeOptions): string {
  return options.repoRoot ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function scriptEnv(options: NodeOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...(options.env ?? {}) };
}

function envValue(options: NodeOptions, name: string, fallback: string): string {
  const value = options.env?.[name] ?? process.env[name];
  return value !== undefined && value !== '' ? value : fallback;
}

/** Last `lineCount` non-empty lines of a script's output, for error messages. */
export function outputTail(text: string, lineCount: number): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-lineCount).join('\n');
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], options: NodeOptions, what: string): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { env: scriptEnv(options), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const status =
          error.killed === true
            ? `killed after ${timeoutMs} ms`
            : `exit ${String(error.code ?? error.signal ?? 'unknown')}`;
        const tail = outputTail(`${stderr}\n${stdout}`, 25);
        reject(new Error(`${what} failed (${status}):\n${tail}`, { cause: error }));
      },
    );
  });
}

function requireRoot(what: string): void {
  if (process.platform !== 'linux') {
    throw new Error(`${what}: the node tier needs Linux (this is ${process.platform})`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${what}: the node tier needs root (containerd, kubelet, network namespaces)`);
  }
}

function runScript(name: string, args: readonly string[], options: NodeOptions): Promise<RunResult> {
  const script = path.join(repoRootOf(options), 'test', 'cluster', name);
  return run('bash', [script, ...args], options, `test/cluster/${name} ${args.join(' ')}`.trim());
}

function containerdInfo(socketPath: string, options: NodeOptions): ContainerdInfo {
  const home = process.env.HOME ?? '/root';
  const runDir = envValue(options, 'KND_RUN_DIR', '/var/tmp/knd-cluster');
  const cacheDir = envValue(options, 'KND_CACHE_DIR', path.join(home, '.cache', 'knd'));
  const crictlVersion = envValue(options, 'KND_CRICTL_VERSION', 'v1.37.0');
  return {
    socketPath,
    nriSocketPath: envValue(options, 'KND_NRI_SOCKET', '/var/run/nri/nri.sock'),
    crictlConfigPath: path.join(runDir, 'containerd', 'crictl.yaml'),
    crictlPath: path.join(cacheDir, `crictl-${crictlVersion}`, 'bin', 'crictl'),
    runDir,
    pauseImage: PAUSE_IMAGE,
    busyboxImage: BUSYBOX_IMAGE,
  };
}

function lastLine(text: string): string {
  return outputTail(text, 1).trim();
}

/** Starts containerd (or reuses the running one) with the images imported; returns its endpoints. */
export async function ensureContainerd(options: NodeOptions = {}): Promise<ContainerdInfo> {
  requireRoot('ensureContainerd');
  const { stdout } = await runScript('containerd-up.sh', [], options);
  const socketPath = lastLine(stdout);
  if (!socketPath.startsWith('/')) {
    throw new Error(`containerd-up.sh printed no socket path (stdout: ${JSON.stringify(stdout)})`);
  }
  return containerdInfo(socketPath, options);
}

/** Starts containerd and the kubelet (or reuses them) and waits until the Node is Ready. */
export async function ensureNode(options: NodeOptions = {}): Promise<NodeInfo> {
  requireRoot('ensureNode');
  const { stdout } = await runScript('node-up.sh', [], options);
  const nodeName = lastLine(stdout);
  if (nodeName === '') {
    throw new Error('node-up.sh printed no node name');
  }
  const state = envValue(options, 'KND_CONTAINERD_STATE', '/run/knd-containerd');
  const subnet = envValue(options, 'KND_POD_SUBNET', '10.88.0.0/24');
  const base = subnet.split('/')[0] ?? '';
  const octets = base.split('.');
  const defaultIp = octets.length === 4 ? `${octets.slice(0, 3).join('.')}.1` : '';
  return {
    ...containerdInfo(path.join(state, 'containerd.sock'), options),
    nodeName,
    kubeletRootDir: envValue(options, 'KND_KUBELET_ROOT', '/var/lib/kubelet'),
    nodeIp: envValue(options, 'KND_NODE_IP', defaultIp),
  };
}

/**
 * Runs crictl against the node's containerd; resolves with stdout, rejects with crictl's stderr.
 * Starts containerd first (ensureContainerd) only when its socket is missing.
 */
export async function crictl(args: readonly string[], options: NodeOptions = {}): Promise<string> {
  const state = envValue(options, 'KND_CONTAINERD_STATE', '/run/knd-containerd');
  const socketPath = path.join(state, 'containerd.sock');
  const info = existsSync(socketPath) ? containerdInfo(socketPath, options) : await ensureContainerd(options);
  const { stdout } = await run(
    info.crictlPath,
    ['--config', info.crictlConfigPath, ...args],
    options,
    `crictl ${args.join(' ')}`,
  );
  return stdout;
}

/**
 * Runs the kubectl built with the cluster (same version as the apiserver) against $KND_KUBECONFIG
 * (set by the jest global setup; default $KND_RUN_DIR/admin.kubeconfig); resolves with stdout.
 */
export async function kubectl(args: readonly string[], options: NodeOptions = {}): Promise<string> {
  const home = process.env.HOME ?? '/root';
  const runDir = envValue(options, 'KND_RUN_DIR', '/var/tmp/knd-cluster');
  const cacheDir = envValue(options, 'KND_CACHE_DIR', path.join(home, '.cache', 'knd'));
  const kubeVersion = envValue(options, 'KND_KUBE_VERSION', defaultKubeVersion());
  const kubeconfig = envValue(options, 'KND_KUBECONFIG', path.join(runDir, 'admin.kubeconfig'));
  const binary = path.join(cacheDir, `kube-${kubeVersion}`, 'bin', 'kubectl');
  const { stdout } = await run(
    binary,
    ['--kubeconfig', kubeconfig, ...args],
    options,
    `kubectl ${args.join(' ')}`,
  );
  return stdout;
}

/** The kubelet recorded in $KND_RUN_DIR/pids/kubelet.pid is running. */
async function kubeletRunning(options: NodeOptions): Promise<boolean> {
  const runDir = envValue(options, 'KND_RUN_DIR', '/var/tmp/knd-cluster');
  try {
    const pid = (await readFile(path.join(runDir, 'pids', 'kubelet.pid'), 'utf8')).trim();
    return (await readlink(`/proc/${pid}/exe`)).endsWith('/kubelet');
  } catch {
    return false; // no PID file or no such process
  }
}

/**
 * Waits until the kubelet talks to the runtime again: its /runningpods/ endpoint (reached through the
 * apiserver) lists pods over the kubelet's own CRI connection, which reconnects with a backoff after a
 * containerd restart; until then exec/logs fail with "dial unix ...containerd.sock".
 */
async function waitKubeletRuntime(options: NodeOptions, timeoutMs: number): Promise<void> {
  const nodeName = envValue(options, 'KND_NODE_NAME', 'knd-node');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/runningpods/`], options);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`the kubelet did not reach containerd again within ${timeoutMs} ms`, {
          cause: error,
        });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Stops the containerd daemon (pods and shims keep running) and starts it again. When the kubelet
 * runs, also waits (30 s at most) until the kubelet's CRI connection is back.
 */
export async function restartContainerd(options: NodeOptions = {}): Promise<ContainerdInfo> {
  requireRoot('restartContainerd');
  await runScript('containerd-down.sh', ['--daemon-only'], options);
  const info = await ensureContainerd(options);
  if (await kubeletRunning(options)) {
    await waitKubeletRuntime(options, 30_000);
  }
  return info;
}

/** Stops the kubelet (pods keep running) and starts it again; waits for the Node to be Ready. */
export async function restartKubelet(options: NodeOptions = {}): Promise<NodeInfo> {
  requireRoot('restartKubelet');
  await runScript('node-down.sh', ['--kubelet-only'], options);
  return ensureNode(options);
}

/**
 * Stops the kubelet only (containerd and all pods keep running). Runtime-tier suites that create
 * sandboxes with `crictl runp` must call this first: a running kubelet kills every sandbox in
 * containerd's k8s.io namespace that the apiserver does not know ("Clean up containers for orphaned
 * pod we had not seen before"), about 2 s after it appears. No-op when no kubelet runs.
 */
export async function stopKubelet(options: NodeOptions = {}): Promise<void> {
  requireRoot('stopKubelet');
  await runScript('node-down.sh', ['--kubelet-only'], options);
}

/** Stops the kubelet, containerd and their pods, and deletes the Node object. */
export async function stopNode(options: NodeOptions = {}): Promise<void> {
  requireRoot('stopNode');
  await runScript('node-down.sh', [], options);
}
