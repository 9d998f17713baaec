import { describe, expect, it } from '@jest/globals';
import type { AttachRecord } from '../netns/contract.js';
import type { DevicePlan } from '../plan-store/plan.js';
import { canonicalCidr } from './canonical-cidr.js';
import { sampleDevice } from '../../../test/support/sample-plan.js';
import {
  claimStatusPatch,
  condition,
  failedStatus,
  mergeDeviceStatuses,
  networkData,
  readyStatus,
} from './device-status.js';

const now = new Date('2026-11-28T06:00:00.123Z');

describe('canonicalCidr', () => {
  it.each([
    ['192.0.2.5/24', '192.0.2.5/24'],
    ['203.0.113.7/32', '203.0.113.7/32'],
    ['2001:DB8::5/64', '2001:db8::5/64'],
    ['2001:0db8:0000:0000:0000:0000:0000:0005/64', '2001:db8::5/64'],
    ['2001:db8:0:0:1:0:0:1/64', '2001:db8::1:0:0:1/64'],
    ['2001:db8:0:1:1:1:1:1/64', '2001:db8:0:1:1:1:1:1/64'],
    ['fe80::1/64', 'fe80::1/64'],
    ['::/0', '::/0'],
    ['64:ff9b::192.0.2.1/96', '64:ff9b::c000:201/96'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalCidr(input)).toEqual({ ok: true, cidr: expected });
  });

  it.each([
    ['192.0.2.5', /CIDR form/],
    ['192.0.2.5/33', /CIDR form/],
    ['2001:db8::1/129', /CIDR form/],
    ['::ffff:192.0.2.1/120', /IPv4-mapped/],
    ['not-an-ip/24', /CIDR form/],
    ['fe80::1%eth0/64', /CIDR form/],
  ])('%s is refused', (input, message) => {
    const r = canonicalCidr(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

const device: DevicePlan = sampleDevice({ deviceName: 'eth1', addresses: [] });

const record = (addresses: string[], mac = '02:AA:BB:CC:DD:EE'): AttachRecord => ({
  claimUid: 'c1',
  podUid: 'p1',
  deviceName: 'eth1',
  netnsPath: '/ns',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: '', up: true, addresses: [], routes: [] },
  result: { ifName: 'net1', mac, addresses },
});

describe('networkData', () => {
  it('canonicalises, de-duplicates and keeps host bits', () => {
    expect(networkData(record(['198.51.100.10/24', '2001:DB8::A/64', '198.51.100.10/24'])).data).toEqual({
      interfaceName: 'net1',
      ips: ['198.51.100.10/24', '2001:db8::a/64'],
      hardwareAddress: '02:aa:bb:cc:dd:ee',
    });
  });

  it('keeps at most 16 addresses and says so', () => {
    const many = Array.from({ length: 20 }, (_v, i) => `198.51.100.${i + 1}/24`);
    const nd = networkData(record(many));
    expect(nd.data.ips).toHaveLength(16);
    expect(nd.notes).toEqual(['4 addresses beyond the first 16 not listed']);
  });

  it('drops an address the API server would reject and says so', () => {
    const nd = networkData(record(['::ffff:192.0.2.1/120', '203.0.113.1/24']));
    expect(nd.data.ips).toEqual(['203.0.113.1/24']);
    expect(nd.notes[0]).toMatch(/IPv4-mapped/);
  });
});

describe('status entries', () => {
  it('Ready=True with networkData for an attached device', () => {
    expect(readyStatus(device, record(['198.51.100.10/24']), { namespace: 'ns', name: 'pod' }, now)).toEqual({
      driver: 'knd.dev',
      pool: 'node-a',
      device: 'eth1',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'NetworkDeviceAttached',
          message: 'attached as net1 in pod ns/pod',
          lastTransitionTime: '2026-11-28T06:00:00Z',
        },
      ],
      networkData: { interfaceName: 'net1', ips: ['198.51.100.10/24'], hardwareAddress: '02:aa:bb:cc:dd:ee' },
      data: { hostInterfaceName: 'eth1', podUID: 'p1' },
    });
  });

  it('Ready=False with reason and message for a failure', () => {
    expect(failedStatus(device, 'AttachFailed', 'no such link', now)).toEqual({
      driver: 'knd.dev',
      pool: 'node-a',
      device: 'eth1',
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'AttachFailed',
          message: 'no such link',
          lastTransitionTime: '2026-11-28T06:00:00Z',
        },
      ],
    });
  });

  it('a share of a shared device: its shareID, the child MAC and addresses, the consumed capacity', () => {
    const share: DevicePlan = {
      ...device,
      child: {
        kind: 'macvlan',
        mode: 'bridge',
        shareId: 'share-1',
        egressBitsPerSecond: 100_000_000,
        consumedCapacity: { bandwidth: '100M', children: '1' },
      },
    };
    const ready = readyStatus(
      share,
      record(['192.0.2.11/24'], '02:11:22:33:44:55'),
      { namespace: 'ns', name: 'pod' },
      now,
    );
    expect(ready).toMatchObject({
      driver: 'knd.dev',
      pool: 'node-a',
      device: 'eth1',
      shareID: 'share-1',
      networkData: { interfaceName: 'net1', ips: ['192.0.2.11/24'], hardwareAddress: '02:11:22:33:44:55' },
      data: {
        hostInterfaceName: 'eth1',
        podUID: 'p1',
        child: { kind: 'macvlan', mode: 'bridge', egressBitsPerSecond: 100_000_000 },
        consumedCapacity: { bandwidth: '100M', children: '1' },
      },
    });
    expect(failedStatus(share, 'AttachFailed', 'x', now).shareID).toBe('share-1');
    // two shares of one device are two entries of the list map
    const other = { ...ready, shareID: 'share-2' };
    expect(mergeDeviceStatuses([ready], [other])).toHaveLength(2);
  });

  it.each(['', 'has space', '1Leading', 'Trailing-'])('refuses the invalid reason %j', (reason) => {
    expect(() => condition('False', reason, 'm', now)).toThrow(/not a valid reason/);
  });

  it('truncates messages to 32768 characters', () => {
    expect(condition('False', 'X', 'a'.repeat(40000), now).message).toHaveLength(32768);
  });

  it('wraps entries in an apply body for the claim', () => {
    expect(claimStatusPatch({ namespace: 'ns', name: 'c', uid: 'u' }, [])).toEqual({
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaim',
      metadata: { name: 'c', namespace: 'ns' },
      status: { devices: [] },
    });
  });
});

describe('mergeDeviceStatuses (status.devices after knd writes its entries)', () => {
  const e = (driver: string, device: string, tag: string, shareID?: string) => ({
    driver,
    pool: 'node-a',
    device,
    tag,
    ...(shareID === undefined ? {} : { shareID }),
  });
  it.each([
    ['empty list: ours appended', [], [e('knd.dev', 'n0', 'new')], [e('knd.dev', 'n0', 'new')]],
    [
      'replaces our entry in place, keeps the other driver first',
      [e('gpu.example.com', 'g0', 'gpu'), e('knd.dev', 'n0', 'old')],
      [e('knd.dev', 'n0', 'new')],
      [e('gpu.example.com', 'g0', 'gpu'), e('knd.dev', 'n0', 'new')],
    ],
    [
      'same device name of another driver is a different entry',
      [e('gpu.example.com', 'n0', 'gpu')],
      [e('knd.dev', 'n0', 'new')],
      [e('gpu.example.com', 'n0', 'gpu'), e('knd.dev', 'n0', 'new')],
    ],
    [
      'shareID is part of the key',
      [e('knd.dev', 'n0', 'a', 's1')],
      [e('knd.dev', 'n0', 'b', 's2')],
      [e('knd.dev', 'n0', 'a', 's1'), e('knd.dev', 'n0', 'b', 's2')],
    ],
    [
      'entries of ours not written this time stay',
      [e('knd.dev', 'n0', 'keep'), e('knd.dev', 'n1', 'old')],
      [e('knd.dev', 'n1', 'new')],
      [e('knd.dev', 'n0', 'keep'), e('knd.dev', 'n1', 'new')],
    ],
  ])('%s', (_name, existing, ours, want) => {
    expect(mergeDeviceStatuses(existing, ours)).toEqual(want);
  });
});
