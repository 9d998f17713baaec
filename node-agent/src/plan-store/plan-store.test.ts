import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger, type LogEntry } from '../../../test/support/capture-logger.js';
import { samplePlan } from '../../../test/support/sample-plan.js';
import type { AttachRecord } from '../netns/contract.js';
import type { AttachPlan } from './plan.js';
import { attachmentFileName, PlanStore } from './plan-store.js';

let dir: string;
let bootIdPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-plan-store-'));
  bootIdPath = join(dir, 'boot_id');
  await writeFile(bootIdPath, 'boot-1\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plan = (uid: string, podUids: string[], bootId = 'boot-1'): AttachPlan =>
  samplePlan(uid, podUids, [], { bootId });

const record = (claimUid: string, podUid: string, deviceName: string): AttachRecord => ({
  claimUid,
  podUid,
  deviceName,
  netnsPath: '/var/run/netns/x',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: 'aa:bb:cc:dd:ee:ff', up: true, addresses: [], routes: [] },
});

let logs: LogEntry[];
const open = () => {
  const c = captureLogger();
  logs = c.entries;
  return PlanStore.open({ dir: join(dir, 'state'), bootIdPath, logger: c.logger });
};

describe('PlanStore', () => {
  it('stores plans by claim uid with 0700 directories and 0600 files; survives reopen', async () => {
    const s = await open();
    expect(s.bootId).toBe('boot-1');
    await s.putPlan(plan('u1', ['p1']));
    await s.putPlan(plan('u2', ['p1', 'p2']));
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'state', 'plans', 'u1.json'))).mode & 0o777).toBe(0o600);
    const s2 = await open();
    expect(await s2.getPlan('u1')).toEqual(plan('u1', ['p1']));
    expect((await s2.plansForPod('p2')).map((p) => p.claim.uid)).toEqual(['u2']);
    expect((await s2.listPlans()).map((p) => p.claim.uid).sort()).toEqual(['u1', 'u2']);
    expect(await s2.deletePlan('u1')).toBe(true);
    expect(await s2.deletePlan('u1')).toBe(false);
    expect(await s2.getPlan('u1')).toBeUndefined();
    expect(await readdir(join(dir, 'state', 'plans'))).toEqual(['u2.json']);
  });

  it('a reboot (new boot id) invalidates plans and records and open() removes them', async () => {
    const s = await open();
    await s.putPlan(plan('u1', ['p1']));
    await s.putAttachRecord(record('u1', 'p1', 'nic0'));
    await writeFile(bootIdPath, 'boot-2\n');
    const s2 = await open();
    expect(await s2.getPlan('u1')).toBeUndefined();
    expect(await s2.listAttachRecords()).toEqual([]);
    expect(await readdir(join(dir, 'state', 'plans'))).toEqual([]);
    expect(await readdir(join(dir, 'state', 'attachments'))).toEqual([]);
    // never silently: each deletion is logged with its reason
    expect(logs.map((e) => [e.message, e.file])).toEqual([
      ['plan store: discarded an entry of an earlier boot', 'plans/u1.json'],
      ['plan store: discarded an entry of an earlier boot', 'attachments/u1_p1_nic0.json'],
    ]);
    expect(logs[0]?.reason).toBe(
      'written in boot boot-1, this is boot boot-2: after a reboot no device is in a pod',
    );
  });

  it('refuses a plan stamped with another boot id', async () => {
    const s = await open();
    await expect(s.putPlan(plan('u1', [], 'boot-0'))).rejects.toThrow(/boot id boot-0/);
  });

  it('removes leftover temp files (a crash mid-write) at open', async () => {
    const s = await open();
    await writeFile(join(dir, 'state', 'plans', '.tmp-u9.json-deadbeef'), '{"torn');
    await s.putPlan(plan('u1', []));
    await open();
    expect(await readdir(join(dir, 'state', 'plans'))).toEqual(['u1.json']);
  });

  it('keeps NRI attach records in their own key space', async () => {
    const s = await open();
    await s.putPlan(plan('u1', ['p1']));
    await s.putAttachRecord(record('u1', 'p1', 'nic0'));
    await s.putAttachRecord(record('u1', 'p2', 'nic0'));
    await s.putAttachRecord({
      ...record('u1', 'p1', 'nic0'),
      result: { ifName: 'net1', mac: 'aa:bb:cc:dd:ee:ff', addresses: [] },
    });
    expect(await readdir(join(dir, 'state', 'attachments'))).toEqual(
      [
        attachmentFileName({ claimUid: 'u1', podUid: 'p1', deviceName: 'nic0' }),
        attachmentFileName({ claimUid: 'u1', podUid: 'p2', deviceName: 'nic0' }),
      ].sort(),
    );
    expect((await s.attachRecordsForPod('p1'))[0]?.result?.ifName).toBe('net1');
    expect(await s.attachRecordsForClaim('u1')).toHaveLength(2);
    expect(await s.getAttachRecord({ claimUid: 'u1', podUid: 'p2', deviceName: 'nic0' })).toEqual(
      record('u1', 'p2', 'nic0'),
    );
    await s.deleteAttachRecord({ claimUid: 'u1', podUid: 'p2', deviceName: 'nic0' });
    await s.deleteAttachRecord({ claimUid: 'u1', podUid: 'p2', deviceName: 'nic0' });
    expect(await s.listAttachRecords()).toHaveLength(1);
    expect(await s.getPlan('u1')).toEqual(plan('u1', ['p1']));
  });

  it('tells attach record listeners after each put and delete, and a throwing listener fails nothing', async () => {
    const s = await open();
    const seen: number[] = [];
    const off = s.onAttachRecordsChanged(() => {
      seen.push(seen.length);
    });
    s.onAttachRecordsChanged(() => {
      throw new Error('listener bug');
    });
    await s.putAttachRecord(record('u1', 'p1', 'nic0'));
    await s.deleteAttachRecord({ claimUid: 'u1', podUid: 'p1', deviceName: 'nic0' });
    off();
    await s.putAttachRecord(record('u1', 'p1', 'nic0'));
    expect(seen).toEqual([0, 1]);
  });

  it.each([['../etc'], ['a/b'], [''], ['.hidden']])('refuses unsafe key %j', async (uid) => {
    const s = await open();
    await expect(s.getPlan(uid)).rejects.toThrow(/invalid claim uid/);
  });
});

// Durable formats across agent versions (fixtures of every version in testdata/).
describe('PlanStore formats', () => {
  const testdata = join(import.meta.dirname, 'testdata');
  const bootOfFixtures = '5c1d7e9a-2b4f-4a6c-8e0d-1f3b5d7a9c2e';
  const claimUid = '0f9a3c1e-5b7d-4e2a-9c61-2d8e4f0a1b3c';
  const recordFile = `${claimUid}_8d2e4f6a-1c3b-4d5e-9f70-a1b2c3d4e5f6_pci-0000-3b-00-0.json`;
  const state = (...p: string[]) => join(dir, 'state', ...p);

  /** The state dir as an earlier (or later) agent left it. */
  async function seed(files: Record<string, string>): Promise<void> {
    await mkdir(state('plans'), { recursive: true });
    await mkdir(state('attachments'), { recursive: true });
    for (const [to, text] of Object.entries(files)) await writeFile(state(to), text);
  }
  const fixture = (name: string) => readFile(join(testdata, name), 'utf8');
  const newer = async (name: string) =>
    JSON.stringify({ ...(JSON.parse(await fixture(name)) as object), formatVersion: 99, more: [1] });

  beforeEach(async () => {
    await writeFile(bootIdPath, `${bootOfFixtures}\n`);
  });

  it('reads attach records of format version 1 (unversioned) and writes them back as version 2', async () => {
    await seed({ [`attachments/${recordFile}`]: await fixture('attach-record-v1.json') });
    const s = await open();
    const [rec] = await s.listAttachRecords();
    expect(rec?.deviceName).toBe('pci-0000-3b-00-0');
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'plan store: converted an entry from an older format',
        file: `attachments/${recordFile}`,
        fromVersion: 1,
        toVersion: 2,
      }),
    ]);
    if (rec) await s.putAttachRecord(rec);
    expect(JSON.parse(await readFile(state('attachments', recordFile), 'utf8'))).toEqual(
      JSON.parse(await fixture('attach-record-v2.json')),
    );
  });

  it('reads a version 1 plan as the same plan at version 2', async () => {
    await seed({ [`plans/${claimUid}.json`]: await fixture('plan-v1.json') });
    const s = await open();
    expect(await s.getPlan(claimUid)).toEqual(JSON.parse(await fixture('plan-v2.json')));
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'plan store: converted an entry from an older format',
        file: `plans/${claimUid}.json`,
        fromVersion: 1,
        toVersion: 2,
      }),
    ]);
  });

  it('keeps a newer plan and record untouched, logs them and refuses their devices', async () => {
    const planText = await newer('plan-v1.json');
    const recordText = await newer('attach-record-v2.json');
    await seed({ [`plans/${claimUid}.json`]: planText, [`attachments/${recordFile}`]: recordText });
    const s = await open();
    expect(await s.listPlans()).toEqual([]);
    expect(await s.listAttachRecords()).toEqual([]);
    expect(s.unreadable).toEqual([
      {
        file: `plans/${claimUid}.json`,
        reason: 'format version 99 was written by a newer knd agent; this agent reads versions up to 2',
        deviceNames: ['pci-0000-3b-00-0'],
      },
      {
        file: `attachments/${recordFile}`,
        reason: 'format version 99 was written by a newer knd agent; this agent reads versions up to 2',
        deviceNames: ['pci-0000-3b-00-0'],
      },
    ]);
    expect(s.unreadableHolding('pci-0000-3b-00-0')?.file).toBe(`plans/${claimUid}.json`);
    expect(s.unreadableHolding('nic9')).toBeUndefined();
    expect(logs.map((e) => [e.level, e.message, e.refusedDevices])).toEqual([
      ['error', 'plan store: kept an entry this agent cannot use, untouched', ['pci-0000-3b-00-0']],
      ['error', 'plan store: kept an entry this agent cannot use, untouched', ['pci-0000-3b-00-0']],
    ]);
    // neither overwritten nor deleted, by this or the next open
    const plan = JSON.parse(await fixture('plan-v1.json')) as AttachPlan;
    await expect(s.putPlan(plan)).rejects.toThrow(/kept untouched because this agent cannot use it/);
    await expect(s.deletePlan(claimUid)).rejects.toThrow(/is not overwritten or deleted/);
    await open();
    expect(await readFile(state('plans', `${claimUid}.json`), 'utf8')).toBe(planText);
    expect(await readFile(state('attachments', recordFile), 'utf8')).toBe(recordText);
  });

  it.each([
    ['not JSON', '{"formatVersion": 1, "bootI', [], /^not JSON/],
    ['no version', JSON.stringify({ bootId: bootOfFixtures }), [], /formatVersion missing/],
    [
      'a device without a name',
      JSON.stringify({
        formatVersion: 1,
        bootId: bootOfFixtures,
        claim: { uid: claimUid },
        podUids: [],
        devices: [{ deviceName: 'nic1' }, {}],
      }),
      ['nic1'],
      /devices\[1\]\.deviceName/,
    ],
  ])('keeps a plan it cannot read (%s) and logs why', async (_name, text, devices, reason) => {
    await seed({ [`plans/${claimUid}.json`]: text });
    const s = await open();
    expect(s.unreadable).toEqual([
      { file: `plans/${claimUid}.json`, reason: expect.stringMatching(reason), deviceNames: devices },
    ]);
    expect(logs[0]).toMatchObject({
      level: 'error',
      file: `plans/${claimUid}.json`,
      refusedDevices: devices,
    });
    expect(await readFile(state('plans', `${claimUid}.json`), 'utf8')).toBe(text);
  });

  it('an unreadable record names its device from the file name', async () => {
    await seed({ [`attachments/${recordFile}`]: '[]' });
    const s = await open();
    expect(s.unreadable[0]?.deviceNames).toEqual(['pci-0000-3b-00-0']);
  });

  it('a newer entry of an earlier boot is kept but holds no device', async () => {
    await seed({ [`plans/${claimUid}.json`]: await newer('plan-v1.json') });
    await writeFile(bootIdPath, 'boot-after-reboot\n');
    const s = await open();
    expect(s.unreadable).toEqual([]);
    expect(logs[0]).toMatchObject({ level: 'error', refusedDevices: [], file: `plans/${claimUid}.json` });
    expect(await readdir(state('plans'))).toEqual([`${claimUid}.json`]);
  });

  it('a plan whose claim uid does not match its file name is kept, not loaded', async () => {
    await seed({});
    await copyFile(join(testdata, 'plan-v1.json'), state('plans', 'other-uid.json'));
    const s = await open();
    expect(await s.listPlans()).toEqual([]);
    expect(s.unreadable[0]?.reason).toBe(`claim.uid ${claimUid} does not match the file name`);
  });

  it('leaves files that are not state entries alone, with a warning', async () => {
    await seed({ 'plans/README': 'notes' });
    await open();
    expect(await readdir(state('plans'))).toEqual(['README']);
    expect(logs).toEqual([expect.objectContaining({ level: 'warn', file: 'plans/README' })]);
  });
});
