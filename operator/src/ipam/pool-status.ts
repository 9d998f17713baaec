// An IPPool's status from its spec and the IPAllocations that name it (pure). Per family: size (the
// addresses the pool can hand out now), allocated (every IPAllocation of the family, including those
// left outside the CIDRs by a shrink) and free (size minus the allocations inside it). Conditions:
// Ready (the spec is valid; else InvalidSpec with the field problems) and Exhausted (True when a
// family has no free address: the next claim asking for it fails to prepare).
import type { Condition } from '../../../lib/api/network-device-class.js';
import type { IPAllocation, IPPool, IPPoolFamilyStatus, IPPoolStatus } from '../../../lib/api/ip-pool.js';
import { ipBytes } from '../../../lib/api/ip.js';
import { validateIPPoolSpec } from '../../../lib/api/validate-ip-pool.js';
import { formatProblems } from '../../../lib/api/validate-network-config.js';
import { bytesToBig, familyRanges, rangeOf, saturatedNumber } from '../../../lib/ipam/pool-ranges.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  generation: number | undefined,
  previous: readonly Condition[] | undefined,
  nowIso: string,
): Condition {
  const old = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : nowIso,
  };
}

export function poolStatus(pool: IPPool, allocations: readonly IPAllocation[], nowIso: string): IPPoolStatus {
  const generation = pool.metadata.generation;
  const previous = pool.status?.conditions;
  const v = validateIPPoolSpec(pool.spec);
  // NetworkConfig ipam names pools by DNS label (also the allocations' label value and name prefix)
  if (!DNS_LABEL.test(pool.metadata.name) || pool.metadata.name.length > 63) {
    return {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: [
        condition(
          'Ready',
          'False',
          'InvalidName',
          'metadata.name: must be a DNS label (at most 63 lower-case letters, digits and "-") to be named by ipam.ipv4Pool/ipv6Pool',
          generation,
          previous,
          nowIso,
        ),
      ],
    };
  }
  if (!v.ok) {
    return {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: [
        condition(
          'Ready',
          'False',
          'InvalidSpec',
          formatProblems(v.problems, 'spec').join('; '),
          generation,
          previous,
          nowIso,
        ),
      ],
    };
  }
  const mine = allocations.filter((a) => a.spec.pool === pool.metadata.name);
  const out: IPPoolStatus = { ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  const exhausted: string[] = [];
  for (const [key, family] of [
    ['ipv4', 'IPv4'],
    ['ipv6', 'IPv6'],
  ] as const) {
    const spec = v.value[key];
    if (!spec) continue;
    const fr = familyRanges(spec, family, v.value.reserve);
    const ofFamily = mine.filter((a) => a.spec.family === family);
    const inside = ofFamily.filter((a) => {
      const b = ipBytes(a.spec.address);
      return b !== undefined && rangeOf(fr, bytesToBig(b)) !== undefined;
    }).length;
    const free = fr.size - BigInt(inside);
    const s: IPPoolFamilyStatus = {
      size: saturatedNumber(fr.size),
      allocated: ofFamily.length,
      free: saturatedNumber(free > 0n ? free : 0n),
    };
    out[key] = s;
    if (free <= 0n) exhausted.push(family);
  }
  out.conditions = [
    condition('Ready', 'True', 'Reconciled', 'the spec is valid', generation, previous, nowIso),
    exhausted.length > 0
      ? condition(
          'Exhausted',
          'True',
          'NoFreeAddress',
          `no free ${exhausted.join(' or ')} address: claims asking for one fail to prepare`,
          generation,
          previous,
          nowIso,
        )
      : condition(
          'Exhausted',
          'False',
          'FreeAddresses',
          'every family has a free address',
          generation,
          previous,
          nowIso,
        ),
  ];
  return out;
}
