// Atomic, durable file writes and removals for the agent's state and CDI specs. A write is a temp file
// in the same directory, fsync, rename over the target, fsync of the directory: a crash leaves the
// old or the new file, never a torn one. Temp files are named `.tmp-<name>-<random>`.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A file whose data is durable under a temporary name beside its target (stageFile). */
export interface StagedFile {
  /** Rename over the target and fsync the directory: the file is then durable under its name. */
  commit(): Promise<void>;
  /** Remove the temporary file (a no-op after commit). */
  discard(): Promise<void>;
}

/**
 * The first half of writeFileAtomic: `data` in a temp file in `dir`, fsync'd. Several files can be
 * staged at once (their fsyncs overlap) and then committed in the order their durability needs.
 * On failure the temp file is removed before the error is thrown.
 */
export async function stageFile(
  dir: string,
  name: string,
  data: string,
  modeBits = 0o600,
): Promise<StagedFile> {
  const tmp = join(dir, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'w', modeBits);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  let done = false;
  return {
    async commit() {
      if (done) throw new Error(`${join(dir, name)}: staged file already committed or discarded`);
      done = true;
      try {
        await rename(tmp, join(dir, name));
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fsyncDir(dir);
    },
    async discard() {
      if (done) return;
      done = true;
      await unlink(tmp);
    },
  };
}

/** Write `data` to `path` atomically and durably (temp + fsync + rename + directory fsync). */
export async function writeFileAtomic(
  dir: string,
  name: string,
  data: string,
  modeBits = 0o600,
): Promise<void> {
  await (await stageFile(dir, name, data, modeBits)).commit();
}

export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Remove `dir/name` durably; false when it did not exist. */
export async function unlinkDurable(dir: string, name: string): Promise<boolean> {
  try {
    await unlink(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(dir);
  return true;
}
