import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const plan = (uid: string, podUids: string[], bootId = 'boot-1'): AttachPlan => ({
  formatVersion: 1,
  claim: { namespace: 'ns', name: `c-${uid}`, uid },
  bootId,
  podUids,
  devices: [],
  preparedAt: '2026-01-01T00:00:00.000Z',
});

const record = (claimUid: string, podUid: string, deviceName: string): AttachRecord => ({
  claimUid,
  podUid,
  deviceName,
  netnsPath: '/var/run/netns/x',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: 'aa:bb:cc:dd:ee:ff', up: true, addresses: [], routes: [] },
});

const open = () => PlanStore.open({ dir: join(dir, 'state'), bootIdPath });

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

  it.each([['../etc'], ['a/b'], [''], ['.hidden']])('refuses unsafe key %j', async (uid) => {
    const s = await open();
    await expect(s.getPlan(uid)).rejects.toThrow(/invalid claim uid/);
  });
});
