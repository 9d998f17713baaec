import { describe, expect, it } from '@jest/globals';
import type { ResourceClaim } from './claim-types.js';
import type { LookedUpDevice } from './device-lookup.js';
import { findConflicts, planClaim, preparedDevices, type PlanInput } from './plan-claim.js';
import { loadConfigValidator } from './opaque-config.js';

const validator = await loadConfigValidator();

const UID = '1f2e3d4c-0000-4000-8000-000000000001';
const req = { namespace: 'default', name: 'foo', uid: UID };

const devices: Record<string, LookedUpDevice> = {
  nic0: {
    name: 'nic0',
    ifName: 'eth1',
    ifindex: 5,
    pciAddress: '0000:3b:00.0',
    mac: 'aa:bb:cc:00:00:01',
    charDevices: [],
    present: true,
  },
  rdma0: {
    name: 'rdma0',
    ifName: 'ens2f0np0',
    rdmaDevice: 'mlx5_0',
    charDevices: [
      { path: '/dev/infiniband/uverbs0', major: 231, minor: 192 },
      { path: '/dev/infiniband/rdma_cm', major: 10, minor: 58 },
    ],
    present: true,
  },
  nonet: { name: 'nonet', charDevices: [], present: true },
};

function claim(over: {
  results?: NonNullable<
    NonNullable<NonNullable<ResourceClaim['status']>['allocation']>['devices']
  >['results'];
  config?: NonNullable<NonNullable<NonNullable<ResourceClaim['status']>['allocation']>['devices']>['config'];
  uid?: string;
  allocated?: boolean;
}): ResourceClaim {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: over.uid ?? UID },
    status: {
      ...(over.allocated === false
        ? {}
        : {
            allocation: {
              devices: {
                results: over.results ?? [
                  { request: 'nic', driver: 'knd.dev', pool: 'node-a', device: 'nic0' },
                ],
                config: over.config ?? [],
              },
            },
          }),
      reservedFor: [
        { resource: 'pods', name: 'p2', uid: 'pod-b' },
        { resource: 'pods', name: 'p1', uid: 'pod-a' },
      ],
    },
  };
}

function input(c: ResourceClaim): PlanInput {
  return {
    request: req,
    claim: c,
    driverName: 'knd.dev',
    poolName: 'node-a',
    bootId: 'boot-1',
    nowIso: '2026-01-01T00:00:00.000Z',
    lookup: (n) => devices[n],
    validator,
  };
}

const opaque = (source: string, parameters: unknown, requests: string[] = []) => ({
  source,
  requests,
  opaque: { driver: 'knd.dev', parameters },
});

describe('planClaim', () => {
  it('plans a plain NIC with defaults and sorted pod uids', () => {
    const r = planClaim(input(claim({})));
    expect(r).toEqual({
      ok: true,
      plan: {
        formatVersion: 2,
        claim: req,
        bootId: 'boot-1',
        podUids: ['pod-a', 'pod-b'],
        preparedAt: '2026-01-01T00:00:00.000Z',
        devices: [
          {
            request: 'nic',
            poolName: 'node-a',
            deviceName: 'nic0',
            host: { ifName: 'eth1', ifIndex: 5, pciAddress: '0000:3b:00.0', mac: 'aa:bb:cc:00:00:01' },
            podIfName: 'eth1',
            addresses: [],
            routes: [],
            rules: [],
            neighbors: [],
            ethtoolFeatures: {},
            cdiDeviceIds: ['knd.dev/claim=1f2e3d4c-0000-4000-8000-000000000001-nic0'],
          },
        ],
      },
    });
  });

  it.each([
    [
      'class config only',
      [opaque('FromClass', { interface: { mtu: 9000, name: 'net1' } })],
      { mtu: 9000, podIfName: 'net1' },
    ],
    [
      'claim overrides class field by field',
      [
        opaque('FromClaim', { interface: { mtu: 1500 } }),
        opaque('FromClass', { interface: { mtu: 9000, name: 'net1' } }),
      ],
      { mtu: 1500, podIfName: 'net1' },
    ],
    [
      'config for another request is ignored',
      [
        opaque('FromClaim', { interface: { mtu: 1400 } }, ['other']),
        opaque('FromClaim', { interface: { mtu: 1300 } }, ['nic']),
      ],
      { mtu: 1300 },
    ],
    [
      'other drivers are ignored, even when invalid',
      [{ source: 'FromClaim', opaque: { driver: 'gpu.example.com', parameters: { routes: 'x' } } }],
      { podIfName: 'eth1' },
    ],
    [
      'addresses are canonicalised',
      [opaque('FromClaim', { interface: { addresses: ['2001:DB8:0:0::1/64', '198.51.100.7/24'] } })],
      { addresses: ['2001:db8::1/64', '198.51.100.7/24'] },
    ],
  ])('merges opaque configs: %s', (_name, config, expected) => {
    const r = planClaim(input(claim({ config })));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.plan.devices[0]).toMatchObject(expected);
  });

  it('matches a subrequest result against configs for its parent request and strips the suffix', () => {
    const r = planClaim(
      input(
        claim({
          results: [{ request: 'nic/fast', driver: 'knd.dev', pool: 'node-a', device: 'nic0' }],
          config: [opaque('FromClaim', { interface: { mtu: 2000 } }, ['nic'])],
        }),
      ),
    );
    expect(r.ok && r.plan.devices[0]).toMatchObject({ request: 'nic', mtu: 2000 });
  });

  it('only takes results of this driver in this node pool', () => {
    const r = planClaim(
      input(
        claim({
          results: [
            { request: 'gpu', driver: 'gpu.example.com', pool: 'node-a', device: 'gpu0' },
            { request: 'nic', driver: 'knd.dev', pool: 'node-b', device: 'nic9' },
            { request: 'nic', driver: 'knd.dev', pool: 'node-a', device: 'nic0' },
          ],
        }),
      ),
    );
    expect(r.ok && r.plan.devices.map((d) => d.deviceName)).toEqual(['nic0']);
  });

  it('gives RDMA devices char devices and a CDI id', () => {
    const r = planClaim(
      input(claim({ results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device: 'rdma0' }] })),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.devices[0]?.rdma).toEqual({
      device: 'mlx5_0',
      charDevices: [
        {
          path: '/dev/infiniband/uverbs0',
          hostPath: '/dev/infiniband/uverbs0',
          major: 231,
          minor: 192,
          fileMode: 0o666,
          permissions: 'rw',
        },
        {
          path: '/dev/infiniband/rdma_cm',
          hostPath: '/dev/infiniband/rdma_cm',
          major: 10,
          minor: 58,
          fileMode: 0o666,
          permissions: 'rw',
        },
      ],
    });
    expect(r.plan.devices[0]?.cdiDeviceIds).toEqual([`knd.dev/claim=${UID}-rdma0`]);
    expect(preparedDevices(r.plan)).toEqual([
      {
        request_names: ['nic'],
        pool_name: 'node-a',
        device_name: 'rdma0',
        cdi_device_ids: [`knd.dev/claim=${UID}-rdma0`],
      },
    ]);
  });

  it.each([
    ['uid mismatch', claim({ uid: 'other' }), /^claim default\/foo: uid mismatch/],
    ['not allocated', claim({ allocated: false }), /^claim default\/foo: not allocated/],
    [
      'invalid claim config names the field path',
      claim({
        config: [opaque('FromClaim', { routes: [{ destination: 'nope', gateway: '198.51.100.1' }] })],
      }),
      /^claim default\/foo: opaque config from the claim \(allocation config\[0\]\) for request "nic": routes\[0\]\.destination: /,
    ],
    [
      'invalid class config says so',
      claim({ config: [opaque('FromClass', { interface: { mtu: 'big' } })] }),
      /^claim default\/foo: opaque config from the DeviceClass .*interface\.mtu: /,
    ],
    [
      'unknown device',
      claim({ results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device: 'ghost' }] }),
      /device node-a\/ghost \(request "nic"\) is not known on this node/,
    ],
    [
      'device without netdev',
      claim({ results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device: 'nonet' }] }),
      /nonet has no network interface/,
    ],
    [
      'two devices with one pod name',
      claim({
        results: [
          { request: 'a', driver: 'knd.dev', pool: 'node-a', device: 'nic0' },
          { request: 'b', driver: 'knd.dev', pool: 'node-a', device: 'rdma0' },
        ],
        config: [opaque('FromClaim', { interface: { name: 'net1' } })],
      }),
      /two devices would be named net1/,
    ],
  ])('fails the claim: %s', (_name, c, message) => {
    const r = planClaim(input(c));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('never throws on random opaque parameters (fuzz): always a plan or an error', () => {
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const keys = [
      'interface',
      'routes',
      'rules',
      'neighbors',
      'ethtool',
      'name',
      'mtu',
      'addresses',
      'destination',
      'gateway',
      'table',
      'x',
    ];
    const value = (depth: number): unknown => {
      const k = Math.floor(rnd() * 8);
      if (depth > 3 || k < 2)
        return [null, true, 1500, -1, 'eth0', '10.0.0.0/8', '::1/128', 1e300][Math.floor(rnd() * 8)];
      if (k < 5) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 4) }, () => [
          keys[Math.floor(rnd() * keys.length)],
          value(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 2000; i++) {
      const r = planClaim(input(claim({ config: [opaque('FromClaim', value(0))] })));
      if (r.ok) expect(r.plan.devices).toHaveLength(1);
      else expect(r.error).toMatch(/^claim default\/foo: /);
    }
  });
});

describe('findConflicts', () => {
  const mk = (uid: string, name: string, device: string) => {
    const r = planClaim({
      ...input(claim({ uid, results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device }] })),
      request: { namespace: 'default', name, uid },
    });
    if (!r.ok) throw new Error(r.error);
    return r.plan;
  };
  it.each([
    [
      'same device, other claim',
      [mk('u2', 'bar', 'nic0')],
      ['device node-a/nic0 is already prepared for claim default/bar (uid u2)'],
    ],
    ['same claim again is not a conflict', [mk('u1', 'foo', 'nic0')], []],
    ['other device', [mk('u2', 'bar', 'rdma0')], []],
  ])('%s', (_n, others, expected) => {
    expect(findConflicts(mk('u1', 'foo', 'nic0'), others)).toEqual(expected);
  });
});
