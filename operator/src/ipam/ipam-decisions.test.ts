import { describe, expect, it } from '@jest/globals';
import type { IPAllocation, IPPool, IPPoolSpec } from '../../../lib/api/ip-pool.js';
import { gcCandidates } from './gc-decision.js';
import { poolStatus } from './pool-status.js';

const NOW = '2026-01-01T00:10:00.000Z';
const pool = (spec: IPPoolSpec, status?: IPPool['status']): IPPool => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'IPPool',
  metadata: { name: 'fabric', generation: 3 },
  spec,
  ...(status ? { status } : {}),
});
const alloc = (
  address: string,
  over: { pool?: string; uid?: string; created?: string; family?: 'IPv4' | 'IPv6' } = {},
): IPAllocation => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'IPAllocation',
  metadata: {
    name: `${over.pool ?? 'fabric'}.${address}`,
    creationTimestamp: over.created ?? '2026-01-01T00:00:00Z',
  },
  spec: {
    pool: over.pool ?? 'fabric',
    family: over.family ?? (address.includes(':') ? 'IPv6' : 'IPv4'),
    address,
    prefixLength: 24,
    claim: { namespace: 'ns', name: 'c', uid: over.uid ?? 'u1' },
    device: 'nic0',
    nodeName: 'n1',
  },
});

describe('poolStatus', () => {
  it.each<[string, IPPoolSpec, IPAllocation[], object]>([
    [
      'empty IPv4 pool',
      { ipv4: { cidrs: ['10.0.0.0/29'] } },
      [],
      { ipv4: { size: 6, allocated: 0, free: 6 } },
    ],
    [
      'counts only its own pool and family',
      { ipv4: { cidrs: ['10.0.0.0/29'] }, ipv6: { cidrs: ['2001:db8::/64'] } },
      [alloc('10.0.0.1'), alloc('10.0.0.2', { pool: 'other' }), alloc('2001:db8::5')],
      {
        ipv4: { size: 6, allocated: 1, free: 5 },
        ipv6: { size: Number.MAX_SAFE_INTEGER, allocated: 1, free: Number.MAX_SAFE_INTEGER },
      },
    ],
    [
      'after a shrink, allocations outside the CIDRs count as allocated, not against free',
      { ipv4: { cidrs: ['10.0.0.0/30'] } },
      [alloc('10.0.0.1'), alloc('10.0.0.6')],
      { ipv4: { size: 2, allocated: 2, free: 1 } },
    ],
  ])('%s', (_n, spec, allocations, want) => {
    expect(poolStatus(pool(spec), allocations, NOW)).toMatchObject({ observedGeneration: 3, ...want });
  });

  it('Exhausted is True when a family has no free address, and keeps its transition time while it stays', () => {
    const full = poolStatus(
      pool({ ipv4: { cidrs: ['10.0.0.0/30'] } }),
      [alloc('10.0.0.1'), alloc('10.0.0.2')],
      NOW,
    );
    expect(full.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Reconciled',
        message: 'the spec is valid',
        observedGeneration: 3,
        lastTransitionTime: NOW,
      },
      {
        type: 'Exhausted',
        status: 'True',
        reason: 'NoFreeAddress',
        message: 'no free IPv4 address: claims asking for one fail to prepare',
        observedGeneration: 3,
        lastTransitionTime: NOW,
      },
    ]);
    const later = poolStatus(
      pool({ ipv4: { cidrs: ['10.0.0.0/30'] } }, full),
      [alloc('10.0.0.1'), alloc('10.0.0.2')],
      '2026-01-02T00:00:00Z',
    );
    expect(later).toEqual(full);
    const freed = poolStatus(
      pool({ ipv4: { cidrs: ['10.0.0.0/30'] } }, full),
      [alloc('10.0.0.1')],
      '2026-01-02T00:00:00Z',
    );
    expect(freed.conditions?.[1]).toMatchObject({
      status: 'False',
      reason: 'FreeAddresses',
      lastTransitionTime: '2026-01-02T00:00:00Z',
    });
  });

  it('an invalid spec is Ready=False InvalidSpec with the field problems and no counts', () => {
    expect(poolStatus(pool({ ipv4: { cidrs: ['10.0.0.1/24'] } }), [], NOW)).toEqual({
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message: 'spec.ipv4.cidrs[0]: has host bits set; the prefix is 10.0.0.0/24',
          observedGeneration: 3,
          lastTransitionTime: NOW,
        },
      ],
    });
  });
});

it('a pool whose name is not a DNS label cannot be named by a NetworkConfig: Ready=False InvalidName', () => {
  const p = pool({ ipv4: { cidrs: ['10.0.0.0/24'] } });
  p.metadata.name = 'fabric.a';
  expect(poolStatus(p, [], NOW).conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidName' });
});

describe('gcCandidates', () => {
  const nowMs = Date.parse(NOW);
  it.each<[string, IPAllocation, string[], boolean]>([
    ['claim alive', alloc('10.0.0.1', { uid: 'u1' }), ['u1'], false],
    ['claim gone, old', alloc('10.0.0.1', { uid: 'u1' }), ['u2'], true],
    [
      'claim gone, within the grace period',
      alloc('10.0.0.1', { uid: 'u1', created: '2026-01-01T00:09:45Z' }),
      [],
      false,
    ],
    [
      'claim gone, exactly at the grace period',
      alloc('10.0.0.1', { uid: 'u1', created: '2026-01-01T00:09:30Z' }),
      [],
      true,
    ],
    ['no creation time', { ...alloc('10.0.0.1'), metadata: { name: 'x' } }, [], false],
    [
      'already being deleted',
      {
        ...alloc('10.0.0.1'),
        metadata: { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z', deletionTimestamp: NOW },
      },
      [],
      false,
    ],
  ])('%s', (_n, a, live, want) => {
    expect(
      gcCandidates({ allocations: [a], liveClaimUids: new Set(live), nowMs, graceMs: 30_000 }).length === 1,
    ).toBe(want);
  });
});
