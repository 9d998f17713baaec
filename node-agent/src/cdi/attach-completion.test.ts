import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttachRecord } from '../netns/contract.js';
import { AttachCompletionFiles, attachCompletionDir, completionFileName } from './attach-completion.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-completion-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record: AttachRecord = {
  claimUid: '5e0c3a2b-1111-2222-3333-444455556666',
  podUid: 'pod-1',
  deviceName: 'eth1-0000-3b-00-0',
  netnsPath: '/var/run/netns/cni-1234',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: '02:00:00:00:00:01', up: true, addresses: [], routes: [] },
};

describe('attach completion marks', () => {
  it('lives under <state-dir>/attached, one file per claim and device', () => {
    expect(attachCompletionDir('/var/lib/knd/state')).toBe('/var/lib/knd/state/attached');
    expect(completionFileName('u1', 'nic0')).toBe('u1_nic0');
  });

  it.each([
    ['', 'nic0', 'invalid claim uid ""'],
    ['../x', 'nic0', 'invalid claim uid "../x"'],
    ['u1', 'a/b', 'invalid device name "a/b"'],
    ['u1', '_x', 'invalid device name "_x"'],
  ])('refuses unsafe names (%j, %j)', (uid, device, message) => {
    expect(() => completionFileName(uid, device)).toThrow(message);
  });

  it('set writes the namespace path (directory created 0700, file 0600); clear removes it and is idempotent', async () => {
    const marks = new AttachCompletionFiles(join(dir, 'attached'));
    await marks.set(record);
    const file = marks.path(record.claimUid, record.deviceName);
    expect(await readFile(file, 'utf8')).toBe('/var/run/netns/cni-1234\n');
    expect((await stat(join(dir, 'attached'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await marks.set({ ...record, netnsPath: '/var/run/netns/cni-5678' });
    expect(await readFile(file, 'utf8')).toBe('/var/run/netns/cni-5678\n');
    await marks.clear(record);
    await marks.clear(record);
    expect(await readdir(join(dir, 'attached'))).toEqual([]);
  });
});
