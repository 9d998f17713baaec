// Discovery on generated sysfs trees (test/support/sysfs-fixture.ts): every attribute of every
// scenario, pcieRoot/pciBusID/pcieSwitch checked against the trees' symlinks.
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { discoverOnce, type DiscoverResult } from '../../node-agent/src/inventory/inventory.js';
import type { NetlinkFacts, NetlinkLinkFacts } from '../../node-agent/src/inventory/facts.js';
import type { NetlinkSource } from '../../node-agent/src/inventory/netlink-facts.js';
import {
  gpuServer8x8,
  makeSysfsFixture,
  mlx5Rdma,
  oneNicVm,
  sriovPf,
  virtualOnly,
  type SysfsSpec,
} from '../support/sysfs-fixture.js';

function fakeNetlink(links: Record<string, NetlinkLinkFacts>, defaults: string[] = []): NetlinkSource {
  const facts: NetlinkFacts = {
    links: new Map(Object.entries(links)),
    defaultRouteIfNames: new Set(defaults),
  };
  return { read: () => Promise.resolve(facts) };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
});

async function discover(
  spec: SysfsSpec,
  opts: { netlink?: NetlinkSource | null; optInVirtualTypes?: string[]; filterCel?: string } = {},
): Promise<DiscoverResult & { root: string }> {
  const fx = await makeSysfsFixture(spec);
  cleanups.push(fx.cleanup);
  const r = await discoverOnce({
    sysfsRoot: fx.root,
    netlink: opts.netlink ?? null,
    ...opts,
    ...(opts.netlink === undefined ? { netlink: null } : {}),
  });
  return { ...r, root: fx.root };
}

describe('one-NIC VM (virtio)', () => {
  it('publishes the virtio NIC with every attribute, found through the virtio bus device', async () => {
    const r = await discover(oneNicVm(), {
      netlink: fakeNetlink({
        eth0: { ipv4: ['198.51.100.7/24'], ipv6: ['2001:db8::7/64'] },
        lo: { ipv4: [], ipv6: [] },
      }),
    });
    expect(r.devices.map((d) => d.name)).toEqual(['pci-0000-00-03-0']);
    expect(r.devices[0]?.attributes).toEqual({
      'knd.dev/ifName': { string: 'eth0' },
      'knd.dev/mac': { string: '52:54:00:12:34:56' },
      'knd.dev/mtu': { int: 1500 },
      'knd.dev/state': { string: 'up' },
      'knd.dev/type': { string: 'device' },
      'knd.dev/virtual': { bool: false },
      'knd.dev/driver': { string: 'virtio_net' },
      'knd.dev/ipv4': { string: '198.51.100.7/24' },
      'knd.dev/ipv6': { string: '2001:db8::7/64' },
      'knd.dev/pciAddress': { string: '0000:00:03.0' },
      'knd.dev/pciVendor': { string: '0x1af4' },
      'knd.dev/pciDevice': { string: '0x1000' },
      'knd.dev/sriov': { bool: false },
      'knd.dev/isSriovVf': { bool: false },
      'knd.dev/rdma': { bool: false },
      'resource.kubernetes.io/pciBusID': { string: '0000:00:03.0' },
      'resource.kubernetes.io/pcieRoot': { string: 'pci0000:00' },
    });
    expect(r.devices[0]?.host).toEqual({
      ifName: 'eth0',
      ifindex: 2,
      mac: '52:54:00:12:34:56',
      pciAddress: '0000:00:03.0',
      charDevices: [],
    });
    expect(r.excluded).toContainEqual({ subject: 'lo', reason: 'loopback' });
  });

  it('excludes the NIC when it carries the default route', async () => {
    const r = await discover(oneNicVm(), { netlink: fakeNetlink({}, ['eth0']) });
    expect(r.devices).toEqual([]);
    expect(r.excluded).toContainEqual({
      subject: 'pci-0000-00-03-0 (eth0)',
      reason: 'carries the default route',
    });
  });
});

describe('8-GPU / 8-NIC server, one switch per GPU/NIC pair, two switches per root complex', () => {
  const { spec, expect: want } = gpuServer8x8();

  it.each(want.map((w) => [w.nic, w] as const))(
    'NIC %s: pcieRoot, pciBusID, pcieSwitch, numaNode',
    async (nic, w) => {
      const r = await discover(spec);
      const d = r.devices.find((x) => x.name === `pci-${nic.replace(/[:.]/g, '-')}`);
      // pcieRoot must equal the first element after devices/ of the kernel-style bus symlink.
      const target = await readlink(join(r.root, 'bus/pci/devices', nic));
      expect(target.startsWith('../../../devices/')).toBe(true);
      expect(target.split('/')[4]).toBe(w.pcieRoot);
      expect(d?.attributes['resource.kubernetes.io/pcieRoot']).toEqual({ string: w.pcieRoot });
      expect(d?.attributes['resource.kubernetes.io/pciBusID']).toEqual({ string: nic });
      expect(d?.attributes['knd.dev/pcieSwitch']).toEqual({ string: w.switchUpstreamPort });
      expect(d?.attributes['knd.dev/numaNode']).toEqual({ int: w.numaNode });
      expect(d?.attributes['knd.dev/ifName']).toEqual({ string: w.ifName });
      expect(d?.attributes['knd.dev/linkSpeedMbps']).toEqual({ int: 400000 });
      expect(d?.attributes['knd.dev/pciVendor']).toEqual({ string: '0x15b3' });
      expect(d?.attributes['knd.dev/pciDevice']).toEqual({ string: '0x1021' });
      expect(d?.attributes['knd.dev/driver']).toEqual({ string: 'mlx5_core' });
    },
  );

  it('publishes exactly the 8 NICs (GPUs and bridges are not network functions)', async () => {
    const r = await discover(spec);
    expect(r.devices).toHaveLength(8);
    // The two NICs of one root complex share pcieRoot but not pcieSwitch.
    const [a, b] = r.devices;
    expect(a?.attributes['resource.kubernetes.io/pcieRoot']).toEqual(
      b?.attributes['resource.kubernetes.io/pcieRoot'],
    );
    expect(a?.attributes['knd.dev/pcieSwitch']).not.toEqual(b?.attributes['knd.dev/pcieSwitch']);
  });

  it('finds the same switches by depth when config space is unreadable', async () => {
    const { spec: noCfg, expect: w2 } = gpuServer8x8({ withConfig: false });
    const r = await discover(noCfg);
    expect(r.devices.map((d) => d.attributes['knd.dev/pcieSwitch'])).toEqual(
      w2.map((w) => ({ string: w.switchUpstreamPort })),
    );
  });
});

describe('SR-IOV PF with VFs', () => {
  it.each([
    [
      'pci-0000-18-00-0',
      { sriov: true, sriovTotalVfs: 8, sriovNumVfs: 2, isSriovVf: false, ifName: 'ens1f0', driver: 'ice' },
    ],
    ['pci-0000-18-01-0', { sriov: false, isSriovVf: true, ifName: 'ens1f0v0', driver: 'iavf' }],
    ['pci-0000-18-01-1', { sriov: false, isSriovVf: true, driver: 'vfio-pci' }],
  ] as const)('%s', async (name, w) => {
    const r = await discover(sriovPf());
    const d = r.devices.find((x) => x.name === name);
    expect(d).toBeDefined();
    expect(d?.attributes['knd.dev/sriov']).toEqual({ bool: w.sriov });
    expect(d?.attributes['knd.dev/isSriovVf']).toEqual({ bool: w.isSriovVf });
    expect(d?.attributes['knd.dev/driver']).toEqual({ string: w.driver });
    expect(d?.attributes['knd.dev/sriovTotalVfs']).toEqual(
      'sriovTotalVfs' in w ? { int: w.sriovTotalVfs } : undefined,
    );
    expect(d?.attributes['knd.dev/sriovNumVfs']).toEqual(
      'sriovNumVfs' in w ? { int: w.sriovNumVfs } : undefined,
    );
    expect(d?.attributes['knd.dev/ifName']).toEqual('ifName' in w ? { string: w.ifName } : undefined);
    expect(d?.attributes['resource.kubernetes.io/pcieRoot']).toEqual({ string: 'pci0000:17' });
    // Directly under a root port: no switch.
    expect(d?.attributes['knd.dev/pcieSwitch']).toBeUndefined();
  });

  it('reports a down VF link state', async () => {
    const r = await discover(sriovPf());
    expect(r.devices.find((x) => x.name === 'pci-0000-18-01-0')?.attributes['knd.dev/state']).toEqual({
      string: 'down',
    });
  });
});

describe('mlx5 RDMA NIC with uverbs', () => {
  it('maps the RoCE function to mlx5_0 with uverbs0 and rdma_cm char devices', async () => {
    const r = await discover(mlx5Rdma());
    const d = r.devices.find((x) => x.name === 'pci-0000-3b-00-0');
    expect(d?.attributes['knd.dev/rdma']).toEqual({ bool: true });
    expect(d?.attributes['knd.dev/rdmaDevice']).toEqual({ string: 'mlx5_0' });
    expect(d?.attributes['knd.dev/mtu']).toEqual({ int: 4200 });
    expect(d?.attributes['knd.dev/sriov']).toEqual({ bool: false });
    expect(d?.attributes['knd.dev/numaNode']).toEqual({ int: 1 });
    expect(d?.host).toEqual({
      ifName: 'ens2f0np0',
      ifindex: 7,
      mac: '02:00:00:00:03:00',
      pciAddress: '0000:3b:00.0',
      rdmaDevice: 'mlx5_0',
      charDevices: [
        { path: '/dev/infiniband/uverbs0', major: 231, minor: 192 },
        { path: '/dev/infiniband/rdma_cm', major: 10, minor: 58 },
      ],
    });
  });

  it('publishes the InfiniBand-class function without a netdev, found through /sys/class/infiniband', async () => {
    const r = await discover(mlx5Rdma());
    const d = r.devices.find((x) => x.name === 'pci-0000-3b-00-1');
    expect(d?.attributes['knd.dev/rdmaDevice']).toEqual({ string: 'mlx5_1' });
    expect(d?.attributes['knd.dev/ifName']).toBeUndefined();
    expect(d?.host.charDevices.map((c) => c.path)).toEqual([
      '/dev/infiniband/uverbs1',
      '/dev/infiniband/rdma_cm',
    ]);
  });
});

describe('host with only virtual interfaces', () => {
  const nl = fakeNetlink({
    'veth-a': { kind: 'veth', ipv4: ['203.0.113.1/24'], ipv6: [] },
    'veth-b': { kind: 'veth', ipv4: [], ipv6: [] },
    mv0: { kind: 'macvlan', ipv4: [], ipv6: [] },
    cni0: { kind: 'bridge', ipv4: [], ipv6: [] },
    vethcafe01: { kind: 'veth', ipv4: [], ipv6: [] },
    ifb0: { kind: 'ifb', ipv4: [], ipv6: [] },
    'eth0.100': { kind: 'vlan', ipv4: [], ipv6: [] },
  });

  it('publishes nothing by default and says why', async () => {
    const r = await discover(virtualOnly(), { netlink: nl });
    expect(r.devices).toEqual([]);
    expect(r.excluded).toEqual(
      expect.arrayContaining([
        { subject: 'lo', reason: 'loopback' },
        { subject: 'cni0', reason: 'bridge' },
        { subject: 'vethcafe01', reason: 'bridge port of cni0' },
        { subject: 'veth-a', reason: 'virtual type "veth" not opted in' },
        { subject: 'ifb0', reason: 'virtual type "ifb" not opted in' },
      ]),
    );
  });

  it('publishes opted-in veth and macvlan with DNS-safe names, never bridge ports', async () => {
    const r = await discover(virtualOnly(), { netlink: nl, optInVirtualTypes: ['veth', 'macvlan', 'vlan'] });
    expect(r.devices.map((d) => d.name)).toEqual(['mv0', 'net-mv2gqmbogeyda', 'veth-a', 'veth-b']);
    const a = r.devices.find((d) => d.name === 'veth-a');
    expect(a?.attributes).toEqual({
      'knd.dev/ifName': { string: 'veth-a' },
      'knd.dev/mac': { string: '02:00:00:00:04:01' },
      'knd.dev/mtu': { int: 1500 },
      'knd.dev/state': { string: 'up' },
      'knd.dev/type': { string: 'veth' },
      'knd.dev/virtual': { bool: true },
      'knd.dev/ipv4': { string: '203.0.113.1/24' },
      'knd.dev/rdma': { bool: false },
    });
  });

  it('excludes what is stacked on a default-route interface', async () => {
    const r = await discover(virtualOnly(), {
      netlink: fakeNetlink(
        {
          'veth-a': { kind: 'veth', ipv4: [], ipv6: [] },
          'veth-b': { kind: 'veth', ipv4: [], ipv6: [] },
          mv0: { kind: 'macvlan', ipv4: [], ipv6: [] },
        },
        ['veth-a'],
      ),
      optInVirtualTypes: ['veth', 'macvlan'],
    });
    expect(r.excluded).toContainEqual({
      subject: 'mv0',
      reason: 'stacked on or enslaved to a default-route interface',
    });
    expect(r.devices.map((d) => d.name)).toEqual(['veth-b']);
  });

  it('without netlink (--sysfs-root), types come from sysfs only', async () => {
    const r = await discover(virtualOnly(), { optInVirtualTypes: ['unknown', 'vlan'] });
    expect(r.devices.map((d) => [d.name, d.attributes['knd.dev/type']])).toEqual([
      ['ifb0', { string: 'unknown' }],
      ['mv0', { string: 'unknown' }],
      ['net-mv2gqmbogeyda', { string: 'vlan' }],
      ['veth-a', { string: 'unknown' }],
      ['veth-b', { string: 'unknown' }],
    ]);
  });
});

describe('admin CEL filter', () => {
  it.each([
    ['device.attributes["knd.dev"].numaNode == 1', 4],
    ['device.attributes["resource.kubernetes.io"].pcieRoot == "pci0000:00"', 2],
    ['device.attributes["knd.dev"].linkSpeedMbps >= 400000 && device.driver == "knd.dev"', 8],
    ['device.attributes["knd.dev"].noSuchAttribute == 1', 0],
    ['device.attributes["other.example"].x == 1', 0],
    ['"x" in device.attributes["other.example"] || true', 8],
  ])('%s keeps %i of 8 NICs', async (expr, n) => {
    const r = await discover(gpuServer8x8().spec, { filterCel: expr });
    expect(r.devices).toHaveLength(n);
    expect(r.excluded.filter((e) => e.reason.startsWith('filter'))).toHaveLength(8 - n);
  });

  it('rejects a syntax error with its position', async () => {
    await expect(
      discoverOnce({
        sysfsRoot: '/nonexistent',
        netlink: null,
        filterCel: 'device.attributes["knd.dev"].mtu >=',
      }),
    ).rejects.toThrow(/filter: invalid CEL expression: .*1:34/);
  });
});
