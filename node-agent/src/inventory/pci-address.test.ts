import { describe, expect, it } from '@jest/globals';
import {
  nearestPciFunction,
  pciAncestors,
  pciDeviceName,
  pcieRootFromBusLink,
  validatePciBusId,
} from './pci-address.js';

describe('validatePciBusId (upstream GetPCIBusIDAttribute)', () => {
  it.each([
    ['0000:02:00.0', true, ''],
    ['0000:3b:00.1', true, ''],
    ['', false, 'PCI Bus ID cannot be empty'],
    ['invalid-pci-id', false, 'invalid PCI Bus ID format: invalid-pci-id'],
    ['0000:3B:00.0', false, 'invalid PCI Bus ID format'],
    ['00:03.0', false, 'invalid PCI Bus ID format'],
  ])('%j -> ok=%s', (id, ok, msg) => {
    const r = validatePciBusId(id);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.error.message).toContain(msg);
  });
});

describe('pcieRootFromBusLink (upstream resolvePCIeRoot)', () => {
  it.each([
    ['0000:02:00.0', '../../../devices/pci0000:00/0000:00:01.0/0000:02:00.0', 'pci0000:00'],
    ['0000:00:03.0', '../../../devices/pci0000:00/0000:00:03.0', 'pci0000:00'],
    ['0001:42:00.0', '../../../devices/pci0001:40/0001:40:01.0/0001:41:00.0/0001:42:00.0', 'pci0001:40'],
  ])('%s via %s -> %s', (id, target, root) => {
    expect(pcieRootFromBusLink(id, target)).toEqual({ ok: true, value: root });
  });

  it.each([
    ['0000:02:00.0', '../../../devices/invalid-pci-root/0000:01:00.0/0000:02:00.0', 'it must start with'],
    ['0000:02:00.0', '../../../devices/pci0000:00/0000:01:00.0/0000:00:13.1', 'it must end with'],
    ['0000:02:00.0', '../../../devices/platform/0000:02:00.0', 'it must start with'],
    ['bogus', '../../../devices/pci0000:00/bogus', 'invalid PCI Bus ID format'],
  ])('%s via %s fails: %s', (id, target, msg) => {
    const r = pcieRootFromBusLink(id, target);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(msg);
  });
});

describe('names and paths', () => {
  it.each([
    ['0000:3b:00.0', 'pci-0000-3b-00-0'],
    ['0001:af:1f.7', 'pci-0001-af-1f-7'],
  ])('pciDeviceName(%s) = %s', (id, name) => {
    expect(pciDeviceName(id)).toBe(name);
  });

  it.each([
    ['devices/pci0000:00/0000:00:03.0/virtio2/net/eth0', '0000:00:03.0'],
    ['devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/ens1', '0000:01:00.0'],
    ['devices/virtual/net/veth0', undefined],
  ])('nearestPciFunction(%s) = %s', (p, want) => {
    expect(nearestPciFunction(p)).toBe(want);
  });

  it('pciAncestors lists the bridges top-down without the function itself', () => {
    expect(pciAncestors('devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0')).toEqual([
      '0000:00:01.0',
      '0000:01:00.0',
      '0000:02:01.0',
    ]);
  });
});
