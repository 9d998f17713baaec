// Netns holds: an open file descriptor on every pod network namespace that holds one of knd's
// devices, so the namespace (and a virtual device in it) outlives the runtime's bind mount.
//
// Why: containerd removes the pod netns in StopPodSandbox right after notifying NRI plugins. When
// that notification does not reach knd (containerd 2.3 forgets the NRI state of pods that existed
// before a containerd restart and then skips StopPodSandbox/RemovePodSandbox for them; or the
// agent is down), the kernel would destroy a veth with the namespace and return a physical NIC to
// the host under its pod name. With a hold, the namespace lives on until knd detached the device
// (DRA unprepare releases any attachment left behind), through /proc/self/fd/<fd>.
//
// Contract: hold() after a successful attach and adopt() at startup for persisted records; path()
// gives the path to enter for a record: /proc/<agent pid>/fd/<fd> while held (always the very
// namespace the device went into, even after the bind mount is gone or its name reused; usable by
// child processes too), else the recorded path; release() after a successful detach closes the
// descriptor once no record uses it.
// Synchronous, no kernel changes; a hold that cannot be taken (namespace already gone) is reported
// by returning false, never thrown.
import { closeSync, openSync } from 'node:fs';
import type { AttachRecord } from './contract.js';

type Key = string;
const keyOf = (r: Pick<AttachRecord, 'claimUid' | 'podUid' | 'deviceName'>): Key =>
  `${r.claimUid}/${r.podUid}/${r.deviceName}`;

export interface NetnsHoldsFs {
  open(path: string): number;
  close(fd: number): void;
}

const realFs: NetnsHoldsFs = {
  open: (p) => openSync(p, 'r'),
  close: (fd) => {
    closeSync(fd);
  },
};

export class NetnsHolds {
  private readonly fs: NetnsHoldsFs;
  /** netnsPath -> descriptor and the records using it. */
  private readonly byPath = new Map<string, { fd: number; records: Set<Key> }>();

  private readonly pid: number;

  constructor(fs: NetnsHoldsFs = realFs, pid: number = process.pid) {
    this.fs = fs;
    this.pid = pid;
  }

  /**
   * Keep the record's namespace alive, opened through `openPath` (default: the recorded path; the
   * pod's pin when the runtime removed that); false when it cannot be opened any more.
   */
  hold(record: AttachRecord, openPath: string = record.netnsPath): boolean {
    const entry = this.byPath.get(record.netnsPath);
    if (entry !== undefined) {
      entry.records.add(keyOf(record));
      return true;
    }
    let fd: number;
    try {
      fd = this.fs.open(openPath);
    } catch {
      return false;
    }
    this.byPath.set(record.netnsPath, { fd, records: new Set([keyOf(record)]) });
    return true;
  }

  /** hold() for records persisted by an earlier agent process; returns how many are held. */
  adopt(records: readonly AttachRecord[]): number {
    let held = 0;
    for (const r of records) if (this.hold(r)) held++;
    return held;
  }

  /** The path to enter the record's namespace (see the contract above). */
  path(record: AttachRecord): string {
    const entry = this.byPath.get(record.netnsPath);
    return entry === undefined ? record.netnsPath : `/proc/${String(this.pid)}/fd/${String(entry.fd)}`;
  }

  /** The record no longer needs its namespace; the descriptor is closed with the last record. */
  release(record: AttachRecord): void {
    const entry = this.byPath.get(record.netnsPath);
    if (entry === undefined) return;
    entry.records.delete(keyOf(record));
    if (entry.records.size > 0) return;
    this.byPath.delete(record.netnsPath);
    this.fs.close(entry.fd);
  }

  /** Number of namespaces held (metrics, tests). */
  get size(): number {
    return this.byPath.size;
  }
}
