// Durable store of AttachPlans (written by DRA prepare) and AttachRecords (written by the NRI hooks).
//
// Contract:
// - Callers: node-agent/src/dra/ (plans: put before answering NodePrepareResources, delete at
//   NodeUnprepareResources) and node-agent/src/nri/ (records, via the NriPlanStore interface in
//   nri/plan-source.ts which this class implements).
// - Every write is atomic and durable before the promise resolves: temp file in the same directory,
//   fsync, rename over the target, fsync of the directory. A crash leaves either the old or the new
//   file, never a torn one; leftover temp files (`.tmp-*`) are removed by open().
// - Every entry is stamped with the boot id (/proc/sys/kernel/random/boot_id, path injectable). An
//   entry from another boot is invalid: open() deletes it and logs why (after a reboot no netdev is
//   in any pod netns and no claim is prepared as far as the kernel is concerned).
// - Every entry carries a format version (plan-format.ts, attach-record-format.ts). open()
//   (state-scan.ts) converts older versions in memory (the file is rewritten in the current format
//   by the next write). An entry it cannot use (a NEWER version written by a newer agent, or content it cannot read) is
//   kept untouched and logged; the devices it names are refused (`unreadableHolding`) instead of
//   being handed out again, and put/delete of that file are refused. Nothing is discarded silently.
// - Idempotent: put replaces, delete of a missing entry is a no-op. No locking across processes: one
//   agent per node owns the directory. Within the process calls may interleave; writes to the same
//   key are last-writer-wins (each write is whole).
// - Reads come from memory: open() loads every valid entry once, and each write updates memory
//   after its disk write is durable. (Reading the directory on every hook made RunPodSandbox and
//   prepare O(plans on the node) in file reads: 200 ms P50 prepare with 100 plans under load.)
//   Returned objects are copies. Another PlanStore opened on the same directory sees the state
//   of its own open() plus its own writes.
//
// Layout under `dir` (default /var/lib/knd/state):
//   plans/<claimUid>.json                                AttachPlan (bootId inside the plan)
//   attachments/<claimUid>_<podUid>_<deviceName>.json   { formatVersion, bootId, record: AttachRecord }
//
// API:
//   const store = await PlanStore.open({ dir, bootIdPath?, logger })
//   store.bootId  store.unreadable  store.unreadableHolding(deviceName)  store.unreadablePlan(claimUid)
//   plans:   putPlan(plan) getPlan(claimUid) listPlans() deletePlan(claimUid) plansForPod(podUid)
//   records: putAttachRecord(rec) getAttachRecord(key) listAttachRecords() attachRecordsForPod(podUid)
//            attachRecordsForClaim(claimUid) deleteAttachRecord(key)
//            onAttachRecordsChanged(cb) -> unsubscribe (called after each put/delete took effect)
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../lib/util/logger.js';
import type { AttachRecord } from '../netns/contract.js';
import type { AttachRecordKey, NriPlanStore } from '../nri/plan-source.js';
import {
  ATTACH_RECORD_FORMAT_VERSION,
  attachRecordFormat,
  type RecordEnvelope,
} from './attach-record-format.js';
import { stageFile, unlinkDurable, writeFileAtomic, type StagedFile } from './durable-file.js';
import type { AttachPlan } from './plan.js';
import { planFormat } from './plan-format.js';
import { attachmentDevice, keptMessage, scanStateDir, type UnreadableEntry } from './state-scan.js';

export const DEFAULT_STATE_DIR = '/var/lib/knd/state';
export const DEFAULT_BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

export interface PlanStoreOptions {
  dir: string;
  bootIdPath?: string;
  /** Where open() says what it converted, discarded or kept without using, and why (default: stderr). */
  logger?: Logger;
}

const PLANS = 'plans';
const ATTACHMENTS = 'attachments';

/** Keys are file-name safe: uids are UUIDs, device names DNS labels. Anything else is refused. */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
function checkKey(what: string, v: string): string {
  if (!SAFE_KEY.test(v) || v.length > 253)
    throw new Error(`plan store: invalid ${what} ${JSON.stringify(v)}`);
  return v;
}

export function attachmentFileName(k: AttachRecordKey): string {
  return `${checkKey('claim uid', k.claimUid)}_${checkKey('pod uid', k.podUid)}_${checkKey('device name', k.deviceName)}.json`;
}

export async function readBootId(path: string): Promise<string> {
  const id = (await readFile(path, 'utf8')).trim();
  if (!id) throw new Error(`boot id file ${path} is empty`);
  return id;
}

export class PlanStore implements NriPlanStore {
  readonly bootId: string;
  readonly dir: string;
  private readonly plansDir: string;
  private readonly recordsDir: string;
  /** claimUid -> plan of this boot. */
  private readonly plans = new Map<string, AttachPlan>();
  /** attachment file name -> record of this boot. */
  private readonly records = new Map<string, AttachRecord>();
  /** Entries kept untouched that this agent cannot use (see UnreadableEntry). */
  private readonly unreadableEntries: UnreadableEntry[] = [];
  private readonly log: Logger;

  private constructor(dir: string, bootId: string, log: Logger) {
    this.dir = dir;
    this.bootId = bootId;
    this.log = log;
    this.plansDir = join(dir, PLANS);
    this.recordsDir = join(dir, ATTACHMENTS);
  }

  /**
   * Create the directories (0700), drop temp files, load every entry of this boot (converting older
   * formats), delete entries of earlier boots, keep what cannot be read. Each of these is logged.
   */
  static async open(opts: PlanStoreOptions): Promise<PlanStore> {
    const bootId = await readBootId(opts.bootIdPath ?? DEFAULT_BOOT_ID_PATH);
    const store = new PlanStore(opts.dir, bootId, opts.logger ?? createLogger({ component: 'plan-store' }));
    for (const d of [opts.dir, store.plansDir, store.recordsDir])
      await mkdir(d, { recursive: true, mode: 0o700 });
    const scan = { dir: opts.dir, bootId, log: store.log };
    const plans = await scanStateDir({
      ...scan,
      sub: PLANS,
      format: planFormat,
      accept: (plan, name) => {
        if (name !== `${plan.claim.uid}.json`)
          return `claim.uid ${plan.claim.uid} does not match the file name`;
        store.plans.set(plan.claim.uid, plan);
        return undefined;
      },
    });
    const records = await scanStateDir({
      ...scan,
      sub: ATTACHMENTS,
      format: attachRecordFormat,
      devicesOfName: attachmentDevice,
      accept: (env, name) => {
        let key: string;
        try {
          key = attachmentFileName(env.record);
        } catch (err) {
          return (err as Error).message;
        }
        if (key !== name) return "the record's claim/pod/device do not match the file name";
        store.records.set(key, env.record);
        return undefined;
      },
    });
    store.unreadableEntries.push(...plans, ...records);
    return store;
  }

  /** Files kept untouched that this agent cannot use; their devices are refused. */
  get unreadable(): readonly UnreadableEntry[] {
    return this.unreadableEntries;
  }

  /** The unreadable entry naming this device, if any: the device must not be handed out. */
  unreadableHolding(deviceName: string): UnreadableEntry | undefined {
    return this.unreadableEntries.find((e) => e.deviceNames.includes(deviceName));
  }

  /** The claim's plan file when it is kept as unreadable (prepare and unprepare must not touch the claim). */
  unreadablePlan(claimUid: string): UnreadableEntry | undefined {
    return this.unreadableEntries.find((u) => u.file === `${PLANS}/${claimUid}.json`);
  }

  /** Refuse to overwrite or delete a file kept as unreadable. */
  private guardWrite(file: string): void {
    const e = this.unreadableEntries.find((u) => u.file === file);
    if (e) throw new Error(`plan store: ${keptMessage(e)}`);
  }

  // ---- plans ----

  async putPlan(plan: AttachPlan): Promise<void> {
    await (await this.stagePlan(plan)).commit();
  }

  /**
   * putPlan in two steps (durable-file.ts stageFile): the plan durable under a temp name; commit()
   * renames it into place, fsyncs the directory and then makes it the store's plan of the claim.
   */
  async stagePlan(plan: AttachPlan): Promise<StagedFile> {
    if (plan.bootId !== this.bootId) {
      throw new Error(
        `plan store: plan for claim ${plan.claim.uid} has boot id ${plan.bootId}, this boot is ${this.bootId}`,
      );
    }
    const name = `${checkKey('claim uid', plan.claim.uid)}.json`;
    this.guardWrite(`${PLANS}/${name}`);
    const staged = await stageFile(this.plansDir, name, JSON.stringify(plan));
    const copy = structuredClone(plan);
    return {
      commit: async () => {
        await staged.commit();
        this.plans.set(copy.claim.uid, copy);
      },
      discard: () => staged.discard(),
    };
  }

  getPlan(claimUid: string): Promise<AttachPlan | undefined> {
    return settle(() => {
      const plan = this.plans.get(checkKey('claim uid', claimUid));
      return plan === undefined ? undefined : structuredClone(plan);
    });
  }

  listPlans(): Promise<AttachPlan[]> {
    return Promise.resolve([...this.plans.values()].map((p) => structuredClone(p)));
  }

  /** True when a plan was deleted. */
  async deletePlan(claimUid: string): Promise<boolean> {
    const name = `${checkKey('claim uid', claimUid)}.json`;
    this.guardWrite(`${PLANS}/${name}`);
    const deleted = await unlinkDurable(this.plansDir, name);
    this.plans.delete(claimUid);
    return deleted;
  }

  plansForPod(podUid: string): Promise<AttachPlan[]> {
    return Promise.resolve(
      [...this.plans.values()].filter((p) => p.podUids.includes(podUid)).map((p) => structuredClone(p)),
    );
  }

  // ---- attach records (NRI) ----

  async putAttachRecord(record: AttachRecord): Promise<void> {
    const env: RecordEnvelope = { formatVersion: ATTACH_RECORD_FORMAT_VERSION, bootId: this.bootId, record };
    const name = attachmentFileName(record);
    this.guardWrite(`${ATTACHMENTS}/${name}`);
    await writeFileAtomic(this.recordsDir, name, JSON.stringify(env));
    this.records.set(name, structuredClone(record));
    this.recordsChanged();
  }

  private readonly recordListeners = new Set<() => void>();

  /**
   * `cb` runs after every put/delete of an attach record (the health monitor learns at once where a
   * device is). Must not throw; a throw is caught so the NRI hook that wrote the record never fails
   * because of it.
   */
  onAttachRecordsChanged(cb: () => void): () => void {
    this.recordListeners.add(cb);
    return () => {
      this.recordListeners.delete(cb);
    };
  }

  private recordsChanged(): void {
    for (const cb of this.recordListeners) {
      try {
        cb();
      } catch (e) {
        this.log.error('attach record listener failed', { error: (e as Error).message });
      }
    }
  }

  getAttachRecord(key: AttachRecordKey): Promise<AttachRecord | undefined> {
    return settle(() => {
      const r = this.records.get(attachmentFileName(key));
      return r === undefined ? undefined : structuredClone(r);
    });
  }

  listAttachRecords(): Promise<AttachRecord[]> {
    return this.recordsWhere(() => true);
  }

  attachRecordsForPod(podUid: string): Promise<AttachRecord[]> {
    return this.recordsWhere((r) => r.podUid === podUid);
  }

  attachRecordsForClaim(claimUid: string): Promise<AttachRecord[]> {
    return this.recordsWhere((r) => r.claimUid === claimUid);
  }

  /** Copies of the matching records (filtered first: the hooks ask for one pod's few). */
  private recordsWhere(match: (r: AttachRecord) => boolean): Promise<AttachRecord[]> {
    return Promise.resolve([...this.records.values()].filter(match).map((r) => structuredClone(r)));
  }

  async deleteAttachRecord(key: AttachRecordKey): Promise<void> {
    const name = attachmentFileName(key);
    this.guardWrite(`${ATTACHMENTS}/${name}`);
    await unlinkDurable(this.recordsDir, name);
    this.records.delete(name);
    this.recordsChanged();
  }
}

/** fn's result as a promise; a throw becomes a rejection (memory reads keep the async contract). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
