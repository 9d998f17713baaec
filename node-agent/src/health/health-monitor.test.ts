import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import type { DeviceTaint } from '../../../lib/api/device-taints.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { AttachRecord } from '../netns/contract.js';
import { startHealthMonitor } from './health-monitor.js';
import type { LinkState } from './link-reader.js';

const dev = (name: string, ifName: string): InventoryDevice => ({
  name,
  attributes: { 'knd.dev/ifName': { string: ifName } },
  host: { ifName, charDevices: [] },
});
const up: LinkState = { adminUp: true, carrier: true, operstate: 'up' };
const noCarrier: LinkState = { adminUp: true, carrier: false, operstate: 'down' };

/** A monitor over fake places; `links[place][ifName]` is what a link dump there would say. */
function harness(
  devices: InventoryDevice[],
  records: AttachRecord[] = [],
  initialTaints?: () => Promise<ReadonlyMap<string, DeviceTaint[]>>,
) {
  const links = new Map<string, Map<string, LinkState>>([['host', new Map()]]);
  const published: ReadonlyMap<string, DeviceTaint[]>[] = [];
  const watched: string[] = [];
  let clock = 1_000_000;
  const monitor = startHealthMonitor({
    devices: () => devices,
    isPinned: () => false,
    attachRecords: () => Promise.resolve(records),
    readLinks: (place) => {
      const l = links.get(place);
      return l ? Promise.resolve(new Map(l)) : Promise.reject(new Error(`no namespace ${place}`));
    },
    rdmaPortStates: () => Promise.resolve([]),
    linkEvents: (place) => ({
      start: () => watched.push(place),
      stop: () => undefined,
    }),
    effectOf: () => 'NoSchedule',
    onTaints: (t) => published.push(t),
    holdMs: 5000,
    resyncIntervalMs: 60_000,
    ...(initialTaints ? { initialTaints } : {}),
    logger: silentLogger(),
    nowMs: () => clock,
  });
  return {
    links,
    published,
    watched,
    monitor,
    tick: (ms: number) => {
      clock += ms;
    },
    last: () => published.at(-1),
  };
}

describe('health monitor', () => {
  it('taints a host NIC that loses carrier, and untaints it only after the hold time', async () => {
    const h = harness([dev('nic0', 'eth1')]);
    h.links.get('host')?.set('eth1', up);
    await h.monitor.checkNow();
    expect(h.published.map((t) => t.size)).toEqual([0]);
    h.links.get('host')?.set('eth1', noCarrier);
    await h.monitor.checkNow();
    expect(h.last()?.get('nic0')?.[0]).toMatchObject({ key: 'knd.dev/unhealthy', value: 'NoCarrier' });
    h.links.get('host')?.set('eth1', up);
    h.tick(1000);
    await h.monitor.checkNow();
    expect(h.published).toHaveLength(2);
    h.tick(5000);
    await h.monitor.checkNow();
    expect(h.last()?.size).toBe(0);
    h.monitor.stop();
  });

  it('watches a device moved into a pod in that namespace, under its pod name', async () => {
    const rec: AttachRecord = {
      claimUid: 'c1',
      podUid: 'p1',
      deviceName: 'nic0',
      netnsPath: '/proc/42/ns/net',
      podIfName: 'net1',
      host: {} as AttachRecord['host'],
      result: { ifName: 'net1', mac: '', addresses: [] },
    };
    const h = harness([dev('nic0', 'eth1')], [rec]);
    h.links.set('/proc/42/ns/net', new Map([['net1', noCarrier]]));
    await h.monitor.checkNow();
    expect(h.watched).toEqual(['host', '/proc/42/ns/net']);
    expect(h.last()?.get('nic0')?.[0]?.value).toBe('NoCarrier');
    h.monitor.stop();
  });

  it('leaves a device mid-move (record without result) and an unreadable namespace unobserved', async () => {
    const moving: AttachRecord = {
      claimUid: 'c1',
      podUid: 'p1',
      deviceName: 'nic0',
      netnsPath: '/proc/42/ns/net',
      podIfName: 'net1',
      host: {} as AttachRecord['host'],
    };
    const gone: AttachRecord = {
      ...moving,
      deviceName: 'nic1',
      netnsPath: '/proc/43/ns/net',
      result: { ifName: 'net1', mac: '', addresses: [] },
    };
    const h = harness([dev('nic0', 'eth1'), dev('nic1', 'eth2')], [moving, gone]);
    await h.monitor.checkNow();
    expect(h.published.map((t) => t.size)).toEqual([0]);
    h.monitor.stop();
  });

  it('keeps the taint an earlier run published (same timeAdded) and starts the hold when healthy', async () => {
    const earlier: DeviceTaint = {
      key: 'knd.dev/unhealthy',
      value: 'AdminDown',
      effect: 'NoExecute',
      timeAdded: '2026-12-07T09:00:00Z',
    };
    const h = harness([dev('nic0', 'eth1'), dev('nic1', 'eth2')], [], () =>
      Promise.resolve(
        new Map([
          ['nic0', [earlier]],
          ['gone', [earlier]],
        ]),
      ),
    );
    h.links.get('host')?.set('eth1', noCarrier);
    h.links.get('host')?.set('eth2', up);
    await h.monitor.checkNow();
    expect(h.last()?.get('nic0')).toEqual([{ ...earlier, value: 'NoCarrier', effect: 'NoSchedule' }]);
    expect([...(h.last()?.keys() ?? [])]).toEqual(['nic0']);
    h.links.get('host')?.set('eth1', up);
    await h.monitor.checkNow();
    expect(h.last()?.get('nic0')?.[0]?.timeAdded).toBe('2026-12-07T09:00:00Z');
    h.tick(5000);
    await h.monitor.checkNow();
    expect(h.last()?.size).toBe(0);
    h.monitor.stop();
  });

  it('starts empty when the earlier taints cannot be read, and reports once anyway', async () => {
    const h = harness([dev('nic0', 'eth1')], [], () => Promise.reject(new Error('apiserver down')));
    h.links.get('host')?.set('eth1', up);
    await h.monitor.checkNow();
    expect(h.published.map((t) => t.size)).toEqual([0]);
    h.monitor.stop();
  });
});
