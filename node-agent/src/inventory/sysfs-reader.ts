// Read-only access to a sysfs tree under a configurable root (default `/sys`), so tests and
// `knd discover --sysfs-root` can point discovery at a copied or generated tree. Every sysfs read of
// the inventory goes through here. Missing files are `undefined`, never an exception; other errors
// (EACCES, EIO) propagate so they are not mistaken for "absent".
//
// Two modes with the same async interface: 'sync' (default) does each read with the synchronous
// syscall (sysfs answers from memory in microseconds; ~3x less CPU than the thread-pool round trips
// of fs/promises: 13 ms vs 41 ms for a 64-NIC tree, bench/discovery.bench.ts); scan-sysfs.ts yields to
// the event loop between devices, so one device's reads (~0.2 ms) is the longest block. 'async' uses
// fs/promises throughout (for slow or network file systems under --sysfs-root).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface SysfsReader {
  readonly root: string;
  /** Trimmed text of a file, undefined when absent (ENOENT/ENOTDIR) or unreadable by design (EINVAL, e.g. `speed` of a down link). */
  text(rel: string): Promise<string | undefined>;
  bytes(rel: string, maxBytes: number): Promise<Uint8Array | undefined>;
  link(rel: string): Promise<string | undefined>;
  list(rel: string): Promise<string[]>;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EINVAL', 'ENODEV', 'ENXIO']);

function isAbsent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && ABSENT.has(String((e as { code?: unknown }).code));
}

function absentOr<T>(f: () => T, absent: T, alsoAbsent?: string): T {
  try {
    return f();
  } catch (e) {
    if (isAbsent(e) || (alsoAbsent !== undefined && (e as { code?: unknown }).code === alsoAbsent))
      return absent;
    throw e;
  }
}

export function sysfsReader(root = '/sys', opts: { mode?: 'sync' | 'async' } = {}): SysfsReader {
  if ((opts.mode ?? 'sync') === 'sync') {
    return {
      root,
      text: (rel) => Promise.resolve(absentOr(() => readFileSync(join(root, rel), 'utf8').trim(), undefined)),
      bytes: (rel, maxBytes) =>
        Promise.resolve(
          absentOr(() => readFileSync(join(root, rel)).subarray(0, maxBytes), undefined, 'EACCES'),
        ),
      link: (rel) => Promise.resolve(absentOr(() => readlinkSync(join(root, rel)), undefined)),
      list: (rel) => Promise.resolve(absentOr(() => readdirSync(join(root, rel)).sort(), [])),
    };
  }
  return {
    root,
    async text(rel) {
      try {
        return (await readFile(join(root, rel), 'utf8')).trim();
      } catch (e) {
        if (isAbsent(e)) return undefined;
        throw e;
      }
    },
    async bytes(rel, maxBytes) {
      try {
        const b = await readFile(join(root, rel));
        return b.subarray(0, maxBytes);
      } catch (e) {
        if (isAbsent(e) || (e as { code?: unknown }).code === 'EACCES') return undefined;
        throw e;
      }
    },
    async link(rel) {
      try {
        return await readlink(join(root, rel));
      } catch (e) {
        if (isAbsent(e)) return undefined;
        throw e;
      }
    },
    async list(rel) {
      try {
        return (await readdir(join(root, rel))).sort();
      } catch (e) {
        if (isAbsent(e)) return [];
        throw e;
      }
    },
  };
}
