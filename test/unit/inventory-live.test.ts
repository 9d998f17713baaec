// Discovery on the live /sys of the test machine: every PCI network function is either published
// or excluded with a reason; pcieRoot/pciBusID agree with the kernel's own symlinks; the async and
// sync sysfs readers see the same thing.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { discoverOnce } from '../../node-agent/src/inventory/inventory.js';
import { EMPTY_NETLINK_FACTS } from '../../node-agent/src/inventory/facts.js';
import { scanSysfs } from '../../node-agent/src/inventory/scan-sysfs.js';
import { sysfsReader } from '../../node-agent/src/inventory/sysfs-reader.js';
import { gpuServer8x8, makeSysfsFixture } from '../support/sysfs-fixture.js';

async function pciNetworkFunctions(): Promise<string[]> {
  const out: string[] = [];
  for (const bdf of await readdir('/sys/bus/pci/devices')) {
    const cls = Number.parseInt(await readFile(`/sys/bus/pci/devices/${bdf}/class`, 'utf8'), 16);
    if (cls >> 16 === 0x02) out.push(bdf);
  }
  return out.sort();
}

describe('discovery on the live host', () => {
  it('accounts for every PCI network function: published or excluded with a reason', async () => {
    const r = await discoverOnce();
    const fns = await pciNetworkFunctions();
    for (const bdf of fns) {
      const name = `pci-${bdf.replace(/[:.]/g, '-')}`;
      const published = r.devices.some((d) => d.name === name);
      const excluded = r.excluded.filter((x) => x.subject.startsWith(name));
      expect([bdf, published || excluded.length > 0]).toEqual([bdf, true]);
      for (const x of excluded) expect(x.reason).not.toBe('');
    }
    expect(r.excluded).toContainEqual({ subject: 'lo', reason: 'loopback' });
  });

  it('without the default-route rule, publishes the live NICs with the kernel-consistent pcieRoot and pciBusID', async () => {
    const r = await discoverOnce({ netlink: { read: () => Promise.resolve(EMPTY_NETLINK_FACTS) } });
    const fns = await pciNetworkFunctions();
    if (fns.length === 0)
      throw new Error(
        'this machine has no PCI network function in /sys/bus/pci/devices: cannot check live PCI attributes',
      );
    expect(
      r.devices
        .filter((d) => d.name.startsWith('pci-'))
        .map((d) => d.host.pciAddress)
        .sort(),
    ).toEqual(fns);
    for (const bdf of fns) {
      const d = r.devices.find((x) => x.host.pciAddress === bdf);
      const target = await readlink(`/sys/bus/pci/devices/${bdf}`);
      expect(d?.attributes['resource.kubernetes.io/pcieRoot']).toEqual({ string: target.split('/')[4] });
      expect(d?.attributes['resource.kubernetes.io/pciBusID']).toEqual({ string: bdf });
      expect(d?.attributes['knd.dev/pciVendor']).toEqual({
        string: (await readFile(`/sys/bus/pci/devices/${bdf}/vendor`, 'utf8')).trim(),
      });
    }
  });
});

describe('sysfs reader modes', () => {
  it.each([['/sys'], ['fixture']])('sync and async readers agree on %s', async (which) => {
    const fx = which === 'fixture' ? await makeSysfsFixture(gpuServer8x8().spec) : undefined;
    const root = fx?.root ?? '/sys';
    try {
      const a = await scanSysfs(sysfsReader(root, { mode: 'async' }));
      const s = await scanSysfs(sysfsReader(root, { mode: 'sync' }));
      // Volatile counters aside, the facts are the same.
      expect(s.pci).toEqual(a.pci);
      expect(s.netdevs.map((n) => n.ifName)).toEqual(a.netdevs.map((n) => n.ifName));
      expect(s.rdma).toEqual(a.rdma);
    } finally {
      await fx?.cleanup();
    }
  });
});
