// The plan store's open-time scan of one state directory: decode every entry (older formats
// converted), delete entries of earlier boots and unfinished temp writes, keep what cannot be used
// (a newer format, unreadable content) untouched, and log each of these with its reason.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../lib/util/logger.js';
import { unlinkDurable } from './durable-file.js';
import { decodeDurable, type Decoded, type DurableFormat, type StableHeader } from './durable-format.js';

/** A file open() keeps untouched but cannot use: a newer format, or content it cannot read. */
export interface UnreadableEntry {
  /** Relative to the state dir: `plans/<claimUid>.json`, `attachments/<...>.json`. */
  file: string;
  reason: string;
  /** Devices the entry names (stable header; for attach records also the file name). */
  deviceNames: string[];
}

/** Why an unreadable entry is left alone, for errors. */
export function keptMessage(e: UnreadableEntry): string {
  return `${e.file} is kept untouched because this agent cannot use it (${e.reason}); it is not overwritten or deleted`;
}

/** Read and decode one entry; a read error other than bad JSON is thrown (open() fails). */
export async function readDecoded<T>(format: DurableFormat<T>, path: string): Promise<Decoded<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`plan store: read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { status: 'invalid', reason: `not JSON: ${(err as Error).message}`, header: { deviceNames: [] } };
  }
  return decodeDurable(format, raw);
}

/** Device name from an attachment file name (`<claimUid>_<podUid>_<deviceName>.json`; keys have no `_`). */
export function attachmentDevice(name: string): string[] {
  const parts = name.replace(/\.json$/, '').split('_');
  return parts.length === 3 && parts[2] ? [parts[2]] : [];
}

export interface ScanOptions<T> {
  /** The state directory and the subdirectory scanned (`plans`, `attachments`). */
  dir: string;
  sub: string;
  format: DurableFormat<T>;
  bootId: string;
  log: Logger;
  /** Store a decoded entry of this boot, or say why it does not fit (it is then kept as unreadable). */
  accept: (value: T, name: string) => string | undefined;
  /** Device names a file name carries (attachments), for entries that cannot be decoded. */
  devicesOfName?: (name: string) => string[];
}

/** Scan one directory; returns the entries kept untouched whose devices must be refused. */
export async function scanStateDir<T extends { bootId: string }>(
  o: ScanOptions<T>,
): Promise<UnreadableEntry[]> {
  const { sub, format, bootId, log } = o;
  const dir = join(o.dir, sub);
  const unreadable: UnreadableEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const file = `${sub}/${name}`;
    if (name.startsWith('.tmp-')) {
      await unlinkDurable(dir, name);
      log.info('plan store: removed an unfinished write (the agent stopped while writing)', { file });
      continue;
    }
    if (!name.endsWith('.json')) {
      log.warn('plan store: ignoring a file that is not a knd state entry', { file });
      continue;
    }
    const d = await readDecoded(format, join(dir, name));
    let problem: string;
    if (d.status === 'ok') {
      if (d.value.bootId !== bootId) {
        await unlinkDurable(dir, name);
        log.info('plan store: discarded an entry of an earlier boot', {
          kind: format.what,
          file,
          reason: `written in boot ${d.value.bootId}, this is boot ${bootId}: after a reboot no device is in a pod`,
        });
        continue;
      }
      const misfit = o.accept(d.value, name);
      if (misfit === undefined) {
        if (d.fromVersion !== format.current) {
          log.info('plan store: converted an entry from an older format', {
            kind: format.what,
            file,
            fromVersion: d.fromVersion,
            toVersion: format.current,
          });
        }
        continue;
      }
      problem = misfit;
    } else if (d.status === 'newer') {
      problem = `format version ${String(d.version)} was written by a newer knd agent; this agent reads versions up to ${String(format.current)}`;
    } else {
      problem = d.reason;
    }
    const header: StableHeader = d.status === 'ok' ? { deviceNames: [] } : d.header;
    const deviceNames = [...new Set([...header.deviceNames, ...(o.devicesOfName?.(name) ?? [])])].sort();
    // a header from another boot names devices that cannot be in a pod any more: keep, do not refuse
    const earlierBoot = header.bootId !== undefined && header.bootId !== bootId;
    if (!earlierBoot) unreadable.push({ file, reason: problem, deviceNames });
    log.error('plan store: kept an entry this agent cannot use, untouched', {
      kind: format.what,
      file,
      reason: problem,
      refusedDevices: earlierBoot ? [] : deviceNames,
      ...(earlierBoot
        ? { note: `written in boot ${header.bootId ?? ''}; its devices are free again` }
        : deviceNames.length === 0
          ? { note: 'it names no device; a device it held may be prepared again' }
          : {}),
    });
  }
  return unreadable;
}
