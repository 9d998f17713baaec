/**
 * The real knd node agent and operator as child processes, for end-to-end suites and benchmarks.
 *
 * Contract:
 * - Callers: test/e2e/knd-*.test.ts and bench/pod-startup.ts. Run as root on Linux, after the control
 *   plane (test/cluster/up.sh) and, for the agent, the node tier (test/cluster/node-up.sh) are up.
 * - buildDist() compiles the tree once per process with `npx tsc -p tsconfig.build.json` into dist/
 *   (or KND_DIST_DIR). Type errors elsewhere in the tree do not stop the emit; a missing entry file
 *   afterwards is an error naming the source file that is missing.
 * - startAgent()/startKndOperator() spawn `node <dist>/.../main.js` in their own session, append
 *   stdout+stderr to $KND_RUN_DIR/logs/<name>.log and record the PID in $KND_RUN_DIR/pids/<name>.pid,
 *   so test/cluster/down.sh stops them even when the test process died. The PID file is removed when
 *   the process exits (only if it still names that process).
 * - stop(): SIGTERM, SIGKILL after graceMs (default 10 s); kill(): SIGKILL at once (crash tests).
 *   Both resolve when the process has exited. No retries anywhere: a process that exits before it is
 *   ready makes waitReady() reject with the tail of its log.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface ProcessOptions {
  /** Repository root (default: derived from this file's location). */
  readonly repoRoot?: string;
  /** Run directory shared with test/cluster/*.sh (default $KND_RUN_DIR or /var/tmp/knd-cluster). */
  readonly runDir?: string;
  /** Compiled tree (default $KND_DIST_DIR or <repo>/dist). */
  readonly distDir?: string;
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** false: use distDir as it is (a benchmark already running from it). Default true. */
  readonly build?: boolean;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves on exit. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL at once; resolves on exit. */
  kill(): Promise<ExitInfo>;
  /** The log written since this process started. */
  log(): Promise<string>;
}

/** The repository root: from this file's location, or the working directory when run from a dist copy. */
export function repoRootOf(options: ProcessOptions = {}): string {
  if (options.repoRoot !== undefined) return options.repoRoot;
  const derived = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return existsSync(path.join(derived, 'tsconfig.build.json')) ? derived : process.cwd();
}

export function runDirOf(options: ProcessOptions = {}): string {
  return options.runDir ?? process.env['KND_RUN_DIR'] ?? '/var/tmp/knd-cluster';
}

export function distDirOf(options: ProcessOptions = {}): string {
  return options.distDir ?? process.env['KND_DIST_DIR'] ?? path.join(repoRootOf(options), 'dist');
}

let buildOnce: Promise<string> | undefined;

/**
 * Compiles the tree (once per process). Resolves with the dist directory. tsc exits non-zero on type
 * errors but still emits; the caller checks for its entry file (requireEntry).
 */
export function buildDist(options: ProcessOptions = {}): Promise<string> {
  if (buildOnce !== undefined) return buildOnce;
  const repoRoot = repoRootOf(options);
  const distDir = distDirOf(options);
  buildOnce = new Promise((resolve, reject) => {
    execFile(
      'npx',
      ['tsc', '-p', 'tsconfig.build.json', '--outDir', distDir],
      { cwd: repoRoot, timeout: 300_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null && error.killed === true) {
          reject(new Error(`npx tsc -p tsconfig.build.json timed out`, { cause: error }));
          return;
        }
        if (error !== null) {
          // emitted anyway; keep the diagnostics for the caller's error message
          lastBuildDiagnostics = `${stdout}${stderr}`.split('\n').slice(0, 30).join('\n');
        }
        resolve(distDir);
      },
    );
  });
  return buildOnce;
}

let lastBuildDiagnostics = '';

/** Throws a clear error when the compiled entry file does not exist. */
export function requireEntry(distDir: string, relativeSource: string): string {
  const entry = path.join(distDir, relativeSource.replace(/\.ts$/, '.js'));
  if (!existsSync(entry)) {
    const diagnostics = lastBuildDiagnostics === '' ? '' : `\ntsc reported:\n${lastBuildDiagnostics}`;
    throw new Error(
      `${entry} does not exist: ${relativeSource} is not in the tree (or did not compile)${diagnostics}`,
    );
  }
  return entry;
}

async function removePidFileIfOurs(pidFile: string, pid: number): Promise<void> {
  try {
    if ((await readFile(pidFile, 'utf8')).trim() === String(pid)) await rm(pidFile, { force: true });
  } catch {
    // no PID file: down.sh or a later start already handled it
  }
}

/**
 * The node options of the agent image's ENTRYPOINT (Dockerfile.agent: `node <flags> <entry>`), so the
 * agent started here runs with the V8 settings it ships with.
 */
export function agentNodeFlags(repoRoot: string): string[] {
  const text = readFileSync(path.join(repoRoot, 'Dockerfile.agent'), 'utf8');
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text);
  if (!m?.[1]) throw new Error('Dockerfile.agent has no exec-form ENTRYPOINT');
  const argv = JSON.parse(m[1]) as string[];
  return argv.slice(1, -1);
}

/**
 * Spawns `node <nodeArgs> <entry> <args>` detached, logs appended to $KND_RUN_DIR/logs/<name>.log, PID
 * recorded.
 */
export async function startNodeProcess(
  name: string,
  entry: string,
  args: readonly string[],
  options: ProcessOptions = {},
  nodeArgs: readonly string[] = [],
): Promise<ManagedProcess> {
  const runDir = runDirOf(options);
  const logDir = path.join(runDir, 'logs');
  const pidDir = path.join(runDir, 'pids');
  await mkdir(logDir, { recursive: true });
  await mkdir(pidDir, { recursive: true });
  const logPath = path.join(logDir, `${name}.log`);
  const pidFile = path.join(pidDir, `${name}.pid`);
  const handle = await open(logPath, 'a');
  const { size: startOffsetBytes } = await handle.stat();
  await handle.write(`\n=== ${new Date().toISOString()} node ${[...nodeArgs, entry, ...args].join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
      cwd: repoRootOf(options),
      env: { ...process.env, ...(options.env ?? {}) },
      detached: true,
      stdio: ['ignore', handle.fd, handle.fd],
    });
  } finally {
    await handle.close();
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`could not spawn ${name} (node ${entry})`);
  }
  await writeFile(pidFile, `${pid}\n`);
  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      void removePidFileIfOurs(pidFile, pid).then(() => {
        resolve({ code, signal });
      });
    });
  });
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<ExitInfo> => {
    if (!running) return exited;
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    if (signal === 'SIGKILL') return exited;
    const timer = setTimeout(() => {
      if (running) process.kill(pid, 'SIGKILL');
    }, graceMs);
    const info = await exited;
    clearTimeout(timer);
    return info;
  };
  return {
    name,
    pid,
    logPath,
    exited,
    isRunning: () => running,
    stop: (graceMs = 10_000) => signalAndWait('SIGTERM', graceMs),
    kill: () => signalAndWait('SIGKILL', 0),
    log: async () => (await readFile(logPath)).subarray(startOffsetBytes).toString('utf8'),
  };
}

/** Polls `probe` until it resolves true; rejects early with the log tail when the process exits. */
export async function waitReady(
  proc: ManagedProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.isRunning()) {
      const info = await proc.exited;
      const tail = (await proc.log()).split('\n').slice(-30).join('\n');
      throw new Error(
        `${proc.name} exited (code ${String(info.code)}, signal ${String(info.signal)}) before ${what}; ${proc.logPath}:\n${tail}`,
      );
    }
    let ok = false;
    try {
      ok = await probe();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) {
      const tail = (await proc.log()).split('\n').slice(-30).join('\n');
      throw new Error(`${proc.name}: no ${what} within ${timeoutMs} ms; ${proc.logPath}:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** GET http://127.0.0.1:<port><path>; true on a 2xx answer. */
export async function httpOk(port: number, urlPath: string): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}

export interface AgentSettings {
  readonly nodeName: string;
  readonly kubeconfig: string;
  /** kubelet --root-dir (plugins/ and plugins_registry/ below it). */
  readonly kubeletRootDir: string;
  readonly nriSocketPath: string;
  /** Durable plans; keep it across restarts of one test. */
  readonly stateDir: string;
  readonly cdiDir: string;
  /** /metrics, /healthz and /readyz, on 127.0.0.1. */
  readonly metricsPort: number;
  /** Virtual link kinds to publish (veth for test NICs): --opt-in-virtual. */
  readonly optInVirtual: readonly string[];
  readonly logLevel?: string;
  readonly extraArgs?: readonly string[];
}

/** The agent's command line (flags of node-agent/src/config.ts). */
export function agentArgs(settings: AgentSettings): string[] {
  return [
    `--node-name=${settings.nodeName}`,
    `--kubeconfig=${settings.kubeconfig}`,
    `--log-level=${settings.logLevel ?? 'info'}`,
    `--kubelet-root=${settings.kubeletRootDir}`,
    `--nri-socket=${settings.nriSocketPath}`,
    `--cdi-dir=${settings.cdiDir}`,
    `--state-dir=${settings.stateDir}`,
    '--metrics-host=127.0.0.1',
    `--metrics-port=${settings.metricsPort}`,
    ...(settings.optInVirtual.length > 0 ? [`--opt-in-virtual=${settings.optInVirtual.join(',')}`] : []),
    ...(settings.extraArgs ?? []),
  ];
}

export const AGENT_ENTRY_SOURCE = 'node-agent/src/main.ts';
export const OPERATOR_ENTRY_SOURCE = 'operator/src/main.ts';

/**
 * Starts the node agent (`knd-agent` in logs/ and pids/) and waits until its /readyz answers (DRA
 * sockets listening, first scan done).
 */
export async function startAgent(
  settings: AgentSettings,
  options: ProcessOptions = {},
  readyTimeoutMs = 60_000,
): Promise<ManagedProcess> {
  const distDir = options.build === false ? distDirOf(options) : await buildDist(options);
  const entry = requireEntry(distDir, AGENT_ENTRY_SOURCE);
  await mkdir(settings.stateDir, { recursive: true });
  await mkdir(settings.cdiDir, { recursive: true });
  const proc = await startNodeProcess(
    'knd-agent',
    entry,
    agentArgs(settings),
    options,
    agentNodeFlags(repoRootOf(options)),
  );
  await waitReady(
    proc,
    `/readyz on 127.0.0.1:${settings.metricsPort}`,
    () => httpOk(settings.metricsPort, '/readyz'),
    readyTimeoutMs,
  );
  return proc;
}

export interface OperatorSettings {
  readonly kubeconfig: string;
  readonly healthPort: number;
  /** Lease name; unique per suite so a stale Lease of another run does not delay leadership. */
  readonly leaseName: string;
  readonly logLevel?: string;
}

/** Starts the operator (`knd-operator` in logs/ and pids/) and waits for its /healthz. */
export async function startKndOperator(
  settings: OperatorSettings,
  options: ProcessOptions = {},
  readyTimeoutMs = 60_000,
): Promise<ManagedProcess> {
  const distDir = options.build === false ? distDirOf(options) : await buildDist(options);
  const entry = requireEntry(distDir, OPERATOR_ENTRY_SOURCE);
  const proc = await startNodeProcess(
    'knd-operator',
    entry,
    [
      `--kubeconfig=${settings.kubeconfig}`,
      `--health-port=${settings.healthPort}`,
      `--lease-name=${settings.leaseName}`,
      `--log-level=${settings.logLevel ?? 'info'}`,
    ],
    options,
  );
  await waitReady(
    proc,
    `health answer on 127.0.0.1:${settings.healthPort}`,
    () => httpOk(settings.healthPort, '/healthz'),
    readyTimeoutMs,
  );
  return proc;
}

/** Scrapes the agent's Prometheus text exposition. */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /metrics on ${port}: HTTP ${response.status}`);
  return text;
}

/**
 * Waits until the kubelet has registered the agent listening on `metricsPort` (its
 * knd_agent_dra_registration_status_total{registered="true"} counter is at least 1) and the count
 * has not moved for `settleMs`: a kubelet that still had the socket of a killed agent registers the
 * new one, unregisters the old entry and registers again within about a second, and a prepare in
 * that gap fails with "driver is not registered" (the kubelet retries only on its next resync).
 */
export async function waitKubeletRegistered(
  metricsPort: number,
  timeoutMs = 60_000,
  settleMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const text = await scrapeMetrics(metricsPort);
    const m = /^knd_agent_dra_registration_status_total\{registered="true"\} (\d+)/m.exec(text);
    const count = m ? Number(m[1]) : 0;
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    }
    if (count >= 1 && Date.now() - stableSince >= settleMs) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the kubelet did not register the agent on metrics port ${metricsPort} within ${timeoutMs} ms (registrations: ${count}); see the kubelet log`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
