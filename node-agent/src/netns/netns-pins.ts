// Netns pins: a bind mount of a pod's network namespace onto a file the agent owns
// (`<stateDir>/pins/<podUid>`), so the namespace, and a veth in it, outlive both the runtime's bind
// mount and the agent process. Descriptor holds (netns-holds.ts) die with the agent: a SIGKILL
// closes them, and a pod torn down before the agent is back would take its veth with it.
//
// Contract (KernelNetnsOps): pin() before the first kernel change of an attach (so a kill right
// after the NIC moved is covered); release() after the device is back on the host (detach) or the
// attach rolled back; the mount goes with the pod's last record. adopt() at startup registers the
// persisted records, so their pins are released by the detach that gives the device back. path()
// is the pin to enter when the runtime's path is gone. The mount must be made in the host mount
// namespace (a host process, or a container whose state dir is a Bidirectional mount of a shared
// host directory) to survive the agent's container.
// Synchronous (a mount or unmount takes tens of µs). Idempotent: pinning a pinned pod and releasing
// a released one do nothing. Errors of mount/unmount are thrown (a pin that cannot be made fails
// the attach before anything moved: fail closed).
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AttachRecord } from './contract.js';

type RecordIds = Pick<AttachRecord, 'claimUid' | 'podUid' | 'deviceName'>;
const keyOf = (r: RecordIds): string => `${r.claimUid}/${r.podUid}/${r.deviceName}`;

/** The file system and mount operations a pin needs (the N-API addon and node:fs in production). */
export interface PinFs {
  /** Create the empty pin file (and its directory) if missing. */
  touch(path: string): void;
  /** Device and inode of `path` (following the mount on it), undefined when it does not exist. */
  identity(path: string): string | undefined;
  bindMount(source: string, target: string): void;
  /** umount2(MNT_DETACH); throws with code EINVAL when nothing is mounted there. */
  unmountDetach(target: string): void;
  /** Remove the file; ENOENT is not an error. */
  unlink(path: string): void;
}

export function nodePinFs(mounts: Pick<PinFs, 'bindMount' | 'unmountDetach'>): PinFs {
  return {
    touch: (path) => {
      // an existing pin may be a mounted namespace (nsfs), which refuses any open for writing (EPERM)
      if (statSync(path, { throwIfNoEntry: false }) !== undefined) return;
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      try {
        closeSync(openSync(path, 'wx', 0o600));
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'EEXIST') throw e; // made meanwhile: as good
      }
    },
    identity: (path) => {
      const st = statSync(path, { throwIfNoEntry: false, bigint: true });
      return st === undefined ? undefined : `${String(st.dev)}:${String(st.ino)}`;
    },
    bindMount: (source, target) => {
      mounts.bindMount(source, target);
    },
    unmountDetach: (target) => {
      mounts.unmountDetach(target);
    },
    unlink: (path) => {
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      }
    },
  };
}

/** Pure: whether pin() must mount, from the identities (dev:ino) of the pin file and the namespace. */
export function pinAction(
  pinId: string | undefined,
  netnsId: string | undefined,
  netnsPath: string,
): 'mount' | 'pinned' {
  if (netnsId === undefined) throw new Error(`cannot pin ${netnsPath}: the network namespace does not exist`);
  // otherwise an empty file, or after a crash a stale pin of another namespace: (re)mount
  return pinId === netnsId ? 'pinned' : 'mount';
}

/**
 * Pure: the path a detach enters for a record: the held descriptor (the very namespace the device
 * went into); else the runtime's path while it exists; else the pod's pin (the agent was restarted
 * after the runtime removed its path); else the recorded path (detach then looks on the host).
 */
export function entryPath(p: {
  recorded: string;
  held: string | undefined;
  recordedExists: boolean;
  pin: string | undefined;
}): string {
  if (p.held !== undefined) return p.held;
  if (p.recordedExists) return p.recorded;
  return p.pin ?? p.recorded;
}

/** Pure: after a failed attach the pin goes only when the NIC is provably home (else it may be in the pod). */
export function keepPinAfterFailedAttach(rolledBack: boolean): boolean {
  return !rolledBack;
}

export class NetnsPins {
  readonly dir: string;
  private readonly fs: PinFs;
  /** podUid -> the records using the pod's pin. */
  private readonly byPod = new Map<string, Set<string>>();

  constructor(dir: string, fs: PinFs) {
    this.dir = dir;
    this.fs = fs;
  }

  /** The pin file of a pod. */
  file(podUid: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(podUid))
      throw new Error(`pod uid ${JSON.stringify(podUid)} cannot name a pin file`);
    return join(this.dir, podUid);
  }

  /** Bind-mount `netnsPath` onto the pod's pin file (if not there yet) and count `record` as its user. */
  pin(record: RecordIds, netnsPath: string): void {
    const file = this.file(record.podUid);
    this.fs.touch(file);
    if (pinAction(this.fs.identity(file), this.fs.identity(netnsPath), netnsPath) === 'mount') {
      this.unmount(file);
      this.fs.bindMount(netnsPath, file);
    }
    this.register(record);
  }

  /** Count persisted records as users of their pods' pins (startup; no mount is made). */
  adopt(records: readonly RecordIds[]): void {
    for (const r of records) this.register(r);
  }

  /**
   * The pin file of the record's pod when it exists, else undefined. A file left empty (no mount)
   * is not a namespace: entering it fails with EINVAL, which detach treats as "namespace gone".
   */
  path(record: Pick<AttachRecord, 'podUid'>): string | undefined {
    const file = this.file(record.podUid);
    return this.fs.identity(file) === undefined ? undefined : file;
  }

  /** The record no longer needs its namespace; the pin is removed with the pod's last record. */
  release(record: RecordIds): void {
    const users = this.byPod.get(record.podUid);
    users?.delete(keyOf(record));
    if (users !== undefined && users.size > 0) return;
    this.byPod.delete(record.podUid);
    const file = this.file(record.podUid);
    if (this.fs.identity(file) === undefined) return;
    this.unmount(file);
    this.fs.unlink(file);
  }

  /** Number of pods with a pin in use (metrics, tests). */
  get size(): number {
    return this.byPod.size;
  }

  private register(record: RecordIds): void {
    const users = this.byPod.get(record.podUid) ?? new Set<string>();
    users.add(keyOf(record));
    this.byPod.set(record.podUid, users);
  }

  /** Unmount every layer on `file` (a crash may have stacked two); EINVAL: nothing mounted. */
  private unmount(file: string): void {
    for (;;) {
      try {
        this.fs.unmountDetach(file);
      } catch (e) {
        if ((e as { code?: unknown }).code === 'EINVAL') return;
        throw e;
      }
    }
  }
}

/** The agent's pins: `<stateDir>/pins/<podUid>`, mounted through the N-API addon. */
export function netnsPinsIn(stateDir: string, native: Pick<PinFs, 'bindMount' | 'unmountDetach'>): NetnsPins {
  return new NetnsPins(join(stateDir, 'pins'), nodePinFs(native));
}
