// Atomic, durable file writes and removals for the agent's state and CDI specs. A write is a temp file
// in the same directory, fsync, rename over the target, fsync of the directory: a crash leaves the
// old or the new file, never a torn one. Temp files are named `.tmp-<name>-<random>`.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Write `data` to `path` atomically and durably (temp + fsync + rename + directory fsync). */
export async function writeFileAtomic(
  dir: string,
  name: string,
  data: string,
  modeBits = 0o600,
): Promise<void> {
  const tmp = join(dir, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'w', modeBits);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
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
