// Pool addresses at prepare: which addresses a claim needs (pure), allocation through the real
// IpAllocator over an in-memory apiserver, and what planClaim makes of them.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { FakeIpamApi } from '../../../lib/ipam/fake-ipam-api.js';
import { IpAllocator, ipPoolsPath } from '../../../lib/ipam/ip-allocator.js';
import type { DeviceAllocationConfiguration, ResourceClaim } from './claim-types.js';
import { AddressAllocationError, ClaimAddresses, addressNeeds } from './claim-addresses.js';
import { loadConfigValidator } from './opaque-config.js';
import { planClaim } from './plan-claim.js';

const validator = await loadConfigValidator();
const UID = 'c0ffee00-0000-4000-8000-000000000001';
const req = { namespace: 'default', name: 'foo', uid: UID };

const opaque = (
  parameters: unknown,
  requests?: string[],
  source = 'FromClaim',
): DeviceAllocationConfiguration => ({
  source,
  ...(requests ? { requests } : {}),
  opaque: { driver: 'knd.dev', parameters },
});

function claim(config: DeviceAllocationConfiguration[], devices = ['nic0']): ResourceClaim {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: UID },
    status: {
      allocation: {
        devices: {
          results: [
            ...devices.map((device, i) => ({
              request: i === 0 ? 'nic' : `nic${String(i)}`,
              driver: 'knd.dev',
              pool: 'node-a',
              device,
            })),
            { request: 'gpu', driver: 'gpu.example.com', pool: 'node-a', device: 'gpu0' },
          ],
          config,
        },
      },
    },
  };
}

describe('addressNeeds', () => {
  it.each<[string, DeviceAllocationConfiguration[], string[], string[]]>([
    ['no config', [], ['nic0'], []],
    ['static addresses only', [opaque({ interface: { addresses: ['10.0.0.5/24'] } })], ['nic0'], []],
    ['an IPv4 pool', [opaque({ ipam: { ipv4Pool: 'a' } })], ['nic0'], ['nic0 IPv4 a']],
    [
      'both families',
      [opaque({ ipam: { ipv4Pool: 'a', ipv6Pool: 'b' } })],
      ['nic0'],
      ['nic0 IPv4 a', 'nic0 IPv6 b'],
    ],
    [
      'class pool, claim adds IPv6',
      [opaque({ ipam: { ipv4Pool: 'a' } }, undefined, 'FromClass'), opaque({ ipam: { ipv6Pool: 'b' } })],
      ['nic0'],
      ['nic0 IPv4 a', 'nic0 IPv6 b'],
    ],
    ['per request', [opaque({ ipam: { ipv4Pool: 'a' } }, ['nic1'])], ['nic0', 'nic1'], ['nic1 IPv4 a']],
    [
      'every device of the request',
      [opaque({ ipam: { ipv4Pool: 'a' } })],
      ['nic0', 'nic1'],
      ['nic0 IPv4 a', 'nic1 IPv4 a'],
    ],
    ['an invalid config asks for nothing (planClaim reports it)', [opaque({ ipam: {} })], ['nic0'], []],
  ])('%s', (_n, config, devices, want) => {
    expect(
      addressNeeds(claim(config, devices), 'knd.dev', 'node-a', validator).map(
        (n) => `${n.device} ${n.family} ${n.pool}`,
      ),
    ).toEqual(want);
  });
});

describe('ClaimAddresses and planClaim', () => {
  let api: FakeIpamApi;
  let addrs: ClaimAddresses;
  let observed: string[];
  beforeEach(() => {
    api = new FakeIpamApi();
    observed = [];
    addrs = new ClaimAddresses(new IpAllocator(api), 'node-a', (op, result, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      observed.push(`${op} ${result}`);
    });
    api.put(ipPoolsPath(), {
      metadata: { name: 'fabric' },
      spec: {
        ipv4: { cidrs: ['10.10.0.0/30'], routes: [{ destination: '10.20.0.0/16', gateway: '10.10.0.1' }] },
        ipv6: { cidrs: ['2001:db8::/64'] },
      },
    });
  });
  const lookup = (name: string) => ({ name, ifName: `eth-${name}`, charDevices: [], present: true });

  it('puts the allocated addresses and the pool routes into the plan, after the static ones', async () => {
    const c = claim([
      opaque({
        interface: { addresses: ['192.168.0.9/24'] },
        routes: [
          { destination: '10.20.0.0/16', gateway: '10.10.0.2' },
          { destination: '10.30.0.0/16', gateway: '10.10.0.2' },
        ],
        ipam: { ipv4Pool: 'fabric', ipv6Pool: 'fabric' },
      }),
    ]);
    const pooled = await addrs.allocate(req, addressNeeds(c, 'knd.dev', 'node-a', validator));
    const r = planClaim({
      request: req,
      claim: c,
      driverName: 'knd.dev',
      poolName: 'node-a',
      bootId: 'b',
      nowIso: '2026-01-01T00:00:00Z',
      lookup,
      validator,
      poolAddresses: pooled,
    });
    if (!r.ok) throw new Error(r.error);
    const d = r.plan.devices[0];
    expect(d?.addresses).toHaveLength(3);
    expect(d?.addresses[0]).toBe('192.168.0.9/24');
    expect(d?.addresses[1]).toMatch(/^10\.10\.0\.[12]\/30$/);
    expect(d?.addresses[2]).toMatch(/^2001:db8::[0-9a-f:]+\/64$/);
    // the config's own route to 10.20/16 wins over the pool's
    expect(d?.routes).toEqual([
      { destination: '10.20.0.0/16', gateway: '10.10.0.2' },
      { destination: '10.30.0.0/16', gateway: '10.10.0.2' },
    ]);
    // a second prepare (retry, restarted agent) gets the same addresses
    const again = await new ClaimAddresses(new IpAllocator(api), 'node-a').allocate(
      req,
      addressNeeds(c, 'knd.dev', 'node-a', validator),
    );
    expect(again).toEqual(pooled);
  });

  it('planClaim refuses a device whose config asks for a pool but got no address', () => {
    const r = planClaim({
      request: req,
      claim: claim([opaque({ ipam: { ipv4Pool: 'fabric' } })]),
      driverName: 'knd.dev',
      poolName: 'node-a',
      bootId: 'b',
      nowIso: '2026-01-01T00:00:00Z',
      lookup,
      validator,
    });
    expect(r).toEqual({
      ok: false,
      error: 'claim default/foo: device node-a/nic0 (request "nic") has no address from its IPPool',
    });
  });

  it('an exhausted pool rejects with a message naming pool, family and device', async () => {
    const c = claim([opaque({ ipam: { ipv4Pool: 'fabric' } })]);
    const needs = addressNeeds(c, 'knd.dev', 'node-a', validator);
    await addrs.allocate({ ...req, uid: 'other-1' }, needs);
    await addrs.allocate({ ...req, uid: 'other-2' }, needs);
    const err = await addrs.allocate(req, needs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AddressAllocationError);
    expect((err as AddressAllocationError).exhausted).toBe(true);
    expect((err as Error).message).toBe(
      'no IPv4 address from IPPool fabric for device nic0: IPPool fabric has no free IPv4 address: all 2 are allocated',
    );
    // released, the address is free again
    expect(await addrs.release('other-1')).toHaveLength(1);
    expect((await addrs.allocate(req, needs)).get('nic0')?.addresses).toHaveLength(1);
    // the agent's dra_ipam_duration_seconds sees each claim's outcome; no needs, no observation
    await addrs.allocate(req, []);
    expect(observed).toEqual([
      'allocate ok',
      'allocate ok',
      'allocate exhausted',
      'release ok',
      'allocate ok',
    ]);
  });
});
