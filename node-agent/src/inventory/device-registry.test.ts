import { describe, expect, it } from '@jest/globals';
import { ATTR } from './attributes.js';
import type { InventoryDevice } from './build-devices.js';
import { DeviceRegistry } from './device-registry.js';

const pciWithNetdev: InventoryDevice = {
  name: 'pci-0000-3b-00-0',
  attributes: {
    [ATTR.pciAddress]: { string: '0000:3b:00.0' },
    [ATTR.ifName]: { string: 'ens1' },
    [ATTR.mtu]: { int: 9000 },
  },
  host: { ifName: 'ens1', ifindex: 7, mac: '02:00:00:00:00:01', pciAddress: '0000:3b:00.0', charDevices: [] },
};
const pciWithoutNetdev: InventoryDevice = {
  name: 'pci-0000-3b-00-0',
  attributes: { [ATTR.pciAddress]: { string: '0000:3b:00.0' } },
  host: { pciAddress: '0000:3b:00.0', charDevices: [] },
};
const veth: InventoryDevice = {
  name: 'veth0',
  attributes: { [ATTR.ifName]: { string: 'veth0' } },
  host: { ifName: 'veth0', ifindex: 9, mac: '02:00:00:00:00:02', charDevices: [] },
};

describe('DeviceRegistry', () => {
  it('unpinned devices follow the host', () => {
    const r = new DeviceRegistry();
    expect(r.apply([veth]).map((d) => d.name)).toEqual(['veth0']);
    expect(r.apply([])).toEqual([]);
    expect(r.lookup('veth0')).toBeUndefined();
  });

  it('a pinned non-PCI device stays published with its last attributes after leaving the host', () => {
    const r = new DeviceRegistry();
    r.apply([veth]);
    expect(r.pin('veth0')).toBe(true);
    expect(r.apply([])).toEqual([veth]);
    expect(r.lookup('veth0')).toEqual({ name: 'veth0', ...veth.host, present: false, pinned: true });
    r.unpin('veth0');
    expect(r.apply([])).toEqual([]);
  });

  it('a pinned PCI device keeps its netdev attributes while the netdev is in a pod', () => {
    const r = new DeviceRegistry();
    r.apply([pciWithNetdev]);
    r.pin(pciWithNetdev.name);
    const [d] = r.apply([pciWithoutNetdev]);
    expect(d?.attributes).toEqual(pciWithNetdev.attributes);
    expect(r.lookup(pciWithNetdev.name)).toMatchObject({ ifName: 'ens1', present: true, pinned: true });
  });

  it('unpin says whether the published list can change at the next scan', () => {
    const r = new DeviceRegistry();
    r.apply([veth, pciWithNetdev]);
    r.pin('veth0');
    r.pin(pciWithNetdev.name);
    // both back on the host as published: unpinning changes nothing, no rescan needed
    expect(r.unpin('veth0')).toBe(false);
    expect(r.unpin(pciWithNetdev.name)).toBe(false);
    // published from memory (veth gone, PCI netdev away): the next scan changes the list
    r.pin('veth0');
    r.pin(pciWithNetdev.name);
    r.apply([pciWithoutNetdev]);
    expect(r.unpin('veth0')).toBe(true);
    expect(r.unpin(pciWithNetdev.name)).toBe(true);
    expect(r.apply([pciWithoutNetdev])).toEqual([pciWithoutNetdev]);
  });

  it('cannot pin an unknown device', () => {
    expect(new DeviceRegistry().pin('nope')).toBe(false);
  });
});
