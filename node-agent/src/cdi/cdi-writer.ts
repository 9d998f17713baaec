// Writes and removes knd's per-claim transient CDI specs (default directory /var/run/cdi, the
// runtime's dynamic spec directory). Called by DRA prepare (write, before answering the kubelet, so
// the spec exists before containerd creates the container) and unprepare (remove). Writes are atomic
// (temp + fsync + rename + dir fsync; stage() + commit() split them so prepare can overlap the temp
// file's fsync with the plan's); removal of a missing spec is a no-op. Idempotent.
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { fsyncDir, stageFile, type StagedFile } from '../plan-store/durable-file.js';
import { join } from 'node:path';
import { cdiSpecFileName, type CdiSpec } from './cdi-spec.js';

export const DEFAULT_CDI_DIR = '/var/run/cdi';

/** The bytes written for a spec (compared by cdi-resync.ts). */
export function cdiSpecText(spec: CdiSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

export class CdiWriter {
  readonly dir: string;
  constructor(opts: { dir?: string } = {}) {
    this.dir = opts.dir ?? DEFAULT_CDI_DIR;
  }

  async write(claimUid: string, spec: CdiSpec): Promise<void> {
    await (await this.stage(claimUid, spec)).commit();
  }

  /** write() in two steps (durable-file.ts stageFile): the spec durable under a temp name, then commit. */
  async stage(claimUid: string, spec: CdiSpec): Promise<StagedFile> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    // the runtime (root) reads it; no secrets inside
    return stageFile(this.dir, cdiSpecFileName(claimUid), cdiSpecText(spec), 0o644);
  }

  async remove(claimUid: string): Promise<void> {
    try {
      await unlink(join(this.dir, cdiSpecFileName(claimUid)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fsyncDir(this.dir);
  }

  /** The spec file's text; undefined when there is none. */
  async read(claimUid: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(claimUid), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  path(claimUid: string): string {
    return join(this.dir, cdiSpecFileName(claimUid));
  }
}
