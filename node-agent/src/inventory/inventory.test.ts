// The inventory loop on a generated sysfs tree (no netlink, no ip monitor): change reporting,
// the listing poll, pinning across disappearance, rescanNow, a bad filter at start.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import { buildSysfsTree, makeSysfsFixture, virtualOnly } from '../../../test/support/sysfs-fixture.js';
import type { InventoryDevice } from './build-devices.js';
import { loadDeviceFilter, startInventory, type Inventory } from './inventory.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function start(): Promise<{ inv: Inventory; reports: string[][]; root: string }> {
  const fx = await makeSysfsFixture(virtualOnly());
  const reports: string[][] = [];
  const inv = startInventory({
    sysfsRoot: fx.root,
    netlink: null,
    linkEvents: null,
    optInVirtualTypes: ['unknown'],
    pollIntervalMs: 50,
    minRescanIntervalMs: 10,
    logger: silentLogger(),
    onChange: (d: readonly InventoryDevice[]) => {
      reports.push(d.map((x) => x.name));
    },
  });
  stops.push(fx.cleanup, () => {
    inv.stop();
  });
  await inv.ready;
  return { inv, reports, root: fx.root };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('startInventory', () => {
  it('reports the first scan, then only changes found by the listing poll', async () => {
    const { reports, root } = await start();
    expect(reports).toEqual([['ifb0', 'mv0', 'veth-a', 'veth-b']]);
    await buildSysfsTree(root, { netdevs: [{ name: 'veth-c', ifindex: 20, mac: '02:00:00:00:09:01' }] });
    await until(() => reports.length === 2);
    expect(reports[1]).toEqual(['ifb0', 'mv0', 'veth-a', 'veth-b', 'veth-c']);
  });

  it('keeps a pinned device published after it leaves the host, until unpinned', async () => {
    const { inv, reports, root } = await start();
    expect(inv.pin('veth-b')).toBe(true);
    await rm(join(root, 'class/net/veth-b'));
    await inv.rescanNow();
    expect(inv.devices().map((d) => d.name)).toContain('veth-b');
    expect(inv.lookup('veth-b')).toMatchObject({
      ifName: 'veth-b',
      ifindex: 3,
      present: false,
      pinned: true,
    });
    inv.unpin('veth-b');
    await until(() => reports.at(-1)?.includes('veth-b') === false);
    expect(inv.lookup('veth-b')).toBeUndefined();
  });

  it('explains exclusions and rejects a bad filter at start', async () => {
    const { inv } = await start();
    expect(inv.excluded()).toContainEqual({ subject: 'cni0', reason: 'bridge' });
    await expect(loadDeviceFilter('(')).rejects.toThrow(/filter: invalid CEL expression/);
  });
});
