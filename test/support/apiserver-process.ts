// Stop and restart the test control plane's kube-apiserver process (only that process), for tests
// of "apiserver down, then back". Works with any harness that keeps PID files in
// $KND_RUN_DIR/pids (test/cluster/up.sh): the apiserver is the PID whose command line runs
// kube-apiserver. Its exact argv, environment, working directory and stdout/stderr target are read
// from /proc before it is stopped and reused to start it again; the PID file is rewritten.
// Linux only; needs the same user as the harness (root here).
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ApiserverProcess {
  pid: number;
  pidFile: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Where its stdout/stderr went (a log file), if a regular file. */
  logFile?: string;
}

function runDir(): string {
  return process.env['KND_RUN_DIR'] ?? '/var/tmp/knd-cluster';
}

async function procOf(pid: number, pidFile: string): Promise<ApiserverProcess | undefined> {
  let cmd: string;
  try {
    cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined; // not running
    throw e;
  }
  const argv = cmd.split('\0').filter((a) => a !== '');
  if (!argv[0]?.endsWith('kube-apiserver')) return undefined;
  const env = Object.fromEntries(
    (await readFile(`/proc/${pid}/environ`, 'utf8'))
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  const cwd = await readlink(`/proc/${pid}/cwd`);
  const out = await readlink(`/proc/${pid}/fd/1`).catch((e: unknown) => {
    if ((e as { code?: unknown }).code === 'ENOENT') return ''; // stdout closed
    throw e;
  });
  return {
    pid,
    pidFile,
    argv,
    env,
    cwd,
    ...(out.startsWith('/') && !out.startsWith('/dev/') ? { logFile: out } : {}),
  };
}

/** The running apiserver of the harness; throws with what was searched when there is none. */
export async function findApiserver(): Promise<ApiserverProcess> {
  const dir = join(runDir(), 'pids');
  const files = await readdir(dir).catch((e: unknown) => {
    throw new Error(`no PID directory ${dir} (is the control plane up? bash test/cluster/up.sh)`, {
      cause: e,
    });
  });
  for (const f of files) {
    const pid = Number.parseInt((await readFile(join(dir, f), 'utf8')).trim(), 10);
    if (!Number.isInteger(pid)) continue;
    const p = await procOf(pid, join(dir, f));
    if (p) return p;
  }
  throw new Error(`no running kube-apiserver among the PID files in ${dir} (${files.join(', ')})`);
}

async function waitExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ESRCH') return;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`kube-apiserver ${pid} did not exit within ${timeoutMs} ms`);
}

/** Stop the apiserver (SIGTERM, then SIGKILL after 10 s). Returns what is needed to start it again. */
export async function stopApiserver(): Promise<ApiserverProcess> {
  const p = await findApiserver();
  process.kill(p.pid, 'SIGTERM');
  try {
    await waitExit(p.pid, 10_000);
  } catch (e) {
    if (!(e as Error).message.includes('did not exit')) throw e;
    process.kill(p.pid, 'SIGKILL');
    await waitExit(p.pid, 5_000);
  }
  return p;
}

/** Start it again exactly as it was; rewrites its PID file. Readiness is the caller's to wait for. */
export async function startApiserver(p: ApiserverProcess): Promise<number> {
  const [cmd, ...args] = p.argv;
  if (!cmd) throw new Error('startApiserver: empty argv');
  const fd = p.logFile ? openSync(p.logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { cwd: p.cwd, env: p.env, detached: true, stdio: ['ignore', fd, fd] });
  if (typeof fd === 'number') closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  await writeFile(p.pidFile, `${pid}\n`);
  return pid;
}
