/**
 * Read-only probes of the node for the soak test (test/soak/soak-run.ts): what the run may leave
 * behind (network namespaces, sandboxes, the agent's state files and CDI specs, netns held by the
 * agent) and the agent's memory. Root on Linux. Every probe reads; none changes the node. A directory
 * that does not exist reads as empty; any other error is thrown with the path.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { crictl, type NodeOptions } from '../support/node.js';
import { ip } from '../e2e/knd-e2e-env.js';

async function entries(dir: string, recursive = false): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive })).map(String);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`reading ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/** containerd's directory of pod network namespace bind mounts (containerd-up.sh: under its state dir). */
export function containerdNetnsDir(): string {
  const state = process.env['KND_CONTAINERD_STATE'] ?? '/run/knd-containerd';
  return path.join(state, 'io.containerd.grpc.v1.cri', 'netns');
}

export const listContainerdNetns = (): Promise<string[]> => entries(containerdNetnsDir());

/** Names listed by `ip netns list` (the first word of each line). */
export async function ipNetnsNames(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/**
 * Ready sandboxes containerd still has for pods of `namespace` (stopped ones wait for the kubelet's
 * garbage collection and hold no network namespace).
 */
export async function sandboxesOf(namespace: string, options: NodeOptions): Promise<string[]> {
  const out = await crictl(['pods', '--namespace', namespace, '--state', 'ready', '-q'], options);
  return out.split('\n').filter((id) => id.trim() !== '');
}

/** Plans, attach records, completion marks and netns pins below the agent's state dir, as relative paths. */
export async function agentStateFiles(stateDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['plans', 'attachments', 'attached', 'pins']) {
    for (const name of await entries(path.join(stateDir, sub), true)) out.push(path.join(sub, name));
  }
  return out.sort();
}

/** The claim CDI specs knd wrote (`knd.dev-claim_<claimUid>.json`). */
export async function claimCdiSpecs(cdiDir: string): Promise<string[]> {
  return (await entries(cdiDir)).filter((n) => n.startsWith('knd.dev-claim_')).sort();
}

/** PID of the agent started by test/support/agent-process.ts (its PID file), or undefined. */
export async function agentPid(runDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path.join(runDir, 'pids', 'knd-agent.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** VmRSS of a process in KiB (/proc/<pid>/status). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (m?.[1] === undefined) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(m[1]);
}

/**
 * Network namespaces the process holds open other than its own (knd holds a pod's namespace while one
 * of its devices is in it: docs/netns.md "holds"). Descriptors that close while this reads are skipped.
 */
export async function heldNetnsCount(pid: number): Promise<number> {
  const own = await readlink(`/proc/${pid}/ns/net`);
  const held = new Set<string>();
  for (const fd of await entries(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    });
    if (target.startsWith('net:[') && target !== own) held.add(target);
  }
  return held.size;
}
