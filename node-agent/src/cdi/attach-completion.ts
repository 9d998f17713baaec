// Completion marks of the attach guard (attach-guard.ts): one small file per claimed device,
// `<state-dir>/attached/<claimUid>_<deviceName>`, holding the path of the network namespace the
// device was attached in. KernelNetnsOps writes it after the LAST attach step and removes it
// before a detach or a rollback changes anything (node-agent/src/netns/contract.ts,
// AttachCompletion), so the guard, which checks that the file names the container's own network
// namespace, lets a container start only after a completed attach: a pod whose agent died
// mid-attach has its interface but no mark.
//
// Contract: set/clear are idempotent and take well under a millisecond (no fsync: an agent crash
// keeps the page cache; a reboot ends every pod and the recorded namespace paths with it, so a
// stale file can never name a live namespace). The file is written in place, not renamed: a
// torn read by the guard yields a path that is not the container's namespace, so it fails
// closed and the kubelet retries.
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttachCompletion, AttachRecord } from '../netns/contract.js';

export const ATTACHED_SUBDIR = 'attached';

/** The completion directory under the agent's --state-dir. */
export function attachCompletionDir(stateDir: string): string {
  return join(stateDir, ATTACHED_SUBDIR);
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** `<claimUid>_<deviceName>`; both are file-name safe (a UUID and a DNS label), anything else is refused. */
export function completionFileName(claimUid: string, deviceName: string): string {
  for (const [what, v] of [
    ['claim uid', claimUid],
    ['device name', deviceName],
  ] as const) {
    if (!SAFE.test(v) || v.length > 253)
      throw new Error(`attach completion: invalid ${what} ${JSON.stringify(v)}`);
  }
  return `${claimUid}_${deviceName}`;
}

export class AttachCompletionFiles implements AttachCompletion {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  path(claimUid: string, deviceName: string): string {
    return join(this.dir, completionFileName(claimUid, deviceName));
  }

  async set(record: AttachRecord): Promise<void> {
    const file = this.path(record.claimUid, record.deviceName);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${record.netnsPath}\n`, { mode: 0o600 });
  }

  async clear(key: { claimUid: string; deviceName: string }): Promise<void> {
    try {
      await unlink(this.path(key.claimUid, key.deviceName));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
