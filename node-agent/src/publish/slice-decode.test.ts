import { describe, expect, it } from '@jest/globals';
import { decodeManagedSlice } from './slice-decode.js';
import { buildSlices } from './slice-builder.js';
import { sharedDeviceFields } from './shared-capacity.js';

const [built] = buildSlices({
  driverName: 'knd.dev',
  nodeName: 'n1',
  generation: 3,
  owner: { name: 'n1', uid: 'u' },
  devices: [
    {
      name: 'a',
      attributes: {
        'knd.dev/mtu': { int: 9000 },
        'knd.dev/rdma': { bool: true },
        'knd.dev/ifName': { string: 'x' },
      },
    },
  ],
});
if (!built) throw new Error('no slice');
const slice = built;

/** What the apiserver returns for `slice`: server-set metadata and fields knd does not manage. */
const wire = {
  ...slice,
  metadata: {
    ...slice.metadata,
    uid: 's-uid',
    resourceVersion: '42',
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'knd-agent' }],
    ownerReferences: [
      ...(slice.metadata.ownerReferences ?? []),
      { apiVersion: 'example.com/v1', kind: 'Other', name: 'o', uid: 'o-uid' },
    ],
  },
  spec: {
    ...slice.spec,
    devices: slice.spec.devices.map((d) => ({
      ...d,
      attributes: { ...d.attributes, 'example.com/v': { version: '1.0.0' } },
      capacity: { bw: { value: '10G' } },
    })),
  },
};

describe('decodeManagedSlice', () => {
  it('keeps exactly the fields knd writes (int, bool, string attributes; Node owners)', () => {
    expect(decodeManagedSlice(wire)).toEqual({
      ...slice,
      metadata: { ...slice.metadata, resourceVersion: '42' },
    });
  });

  it('round-trips what buildSlices renders', () => {
    expect(decodeManagedSlice(JSON.parse(JSON.stringify(slice)))).toEqual(slice);
  });

  it('round-trips a shared device (allowMultipleAllocations, knd capacities with request policies)', () => {
    const fields = sharedDeviceFields({ maxChildren: 8, bandwidthMbps: 10_000, minShareMbps: 10 }, {});
    if (!fields.ok) throw fields.error;
    const shared = buildSlices({
      driverName: 'knd.dev',
      nodeName: 'node-a',
      generation: 1,
      devices: [{ name: 'eth1', attributes: {}, ...fields.value }],
    })[0];
    expect(shared?.spec.devices[0]?.allowMultipleAllocations).toBe(true);
    expect(decodeManagedSlice(JSON.parse(JSON.stringify(shared)))).toEqual(shared);
  });

  it.each<[string, unknown, string]>([
    ['no metadata', { spec: {} }, 'metadata: must be an object'],
    ['no spec', { metadata: { name: 's' } }, 'ResourceSlice s: spec: must be an object'],
    [
      'no pool',
      { metadata: { name: 's' }, spec: { driver: 'd' } },
      'ResourceSlice s: spec.pool: must be an object',
    ],
    [
      'driver not a string',
      { metadata: { name: 's' }, spec: { driver: 1, pool: { name: 'p', generation: 1 } } },
      'ResourceSlice s: spec.driver: must be a string',
    ],
    [
      'generation missing',
      { metadata: { name: 's' }, spec: { driver: 'd', pool: { name: 'p' } } },
      'ResourceSlice s: spec.pool.generation: must be a number',
    ],
    [
      'device without a name',
      { metadata: { name: 's' }, spec: { driver: 'd', pool: { name: 'p', generation: 1 }, devices: [{}] } },
      'ResourceSlice s: spec.devices[0].name: must be a string',
    ],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => decodeManagedSlice(raw)).toThrow(message);
  });
});
