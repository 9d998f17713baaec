import { describe, expect, it } from '@jest/globals';
import { validateIPPoolSpec } from './validate-ip-pool.js';
import { formatProblems } from './validate-network-config.js';

const lines = (input: unknown): string[] => {
  const r = validateIPPoolSpec(input);
  return r.ok ? [] : formatProblems(r.problems);
};

describe('validateIPPoolSpec', () => {
  it.each([
    ['IPv4 only', { ipv4: { cidrs: ['10.10.0.0/24'] } }],
    [
      'dual stack with everything',
      {
        ipv4: {
          cidrs: ['10.10.0.0/24', '10.11.0.0/24'],
          exclude: ['10.10.0.0/28', '10.10.0.200/32'],
          gateway: '10.10.0.1',
          routes: [{ destination: '10.20.0.0/16', gateway: '10.10.0.1' }],
        },
        ipv6: { cidrs: ['2001:db8:1::/64'], gateway: '2001:db8:1::1' },
        reserve: { network: true, broadcast: false, gateway: true },
      },
    ],
  ])('accepts %s', (_n, input) => {
    expect(lines(input)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['no family', {}, ['must have ipv4, ipv6 or both']],
    ['unknown field', { ipv4: { cidrs: ['10.0.0.0/24'], cidr: 'x' } }, ['ipv4.cidr: unknown field']],
    ['no CIDRs', { ipv4: { cidrs: [] } }, ['ipv4.cidrs: must NOT have fewer than 1 items']],
    ['missing cidrs', { ipv6: {} }, ['ipv6.cidrs: required field is missing']],
    ['IPv6 CIDR under ipv4', { ipv4: { cidrs: ['2001:db8::/64'] } }, ['ipv4.cidrs[0]: must be an IPv4 CIDR']],
    ['IPv4 CIDR under ipv6', { ipv6: { cidrs: ['10.0.0.0/8'] } }, ['ipv6.cidrs[0]: must be an IPv6 CIDR']],
    [
      'not a CIDR',
      { ipv4: { cidrs: ['10.0.0.0'] } },
      ['ipv4.cidrs[0]: must be a CIDR such as 10.0.0.0/24 or 2001:db8::/64'],
    ],
    [
      'gateway of the wrong family',
      { ipv4: { cidrs: ['10.0.0.0/24'], gateway: '2001:db8::1' } },
      ['ipv4.gateway: must be an IPv4 address'],
    ],
    [
      'host bits in a CIDR',
      { ipv4: { cidrs: ['10.0.0.1/24'] } },
      ['ipv4.cidrs[0]: has host bits set; the prefix is 10.0.0.0/24'],
    ],
    [
      'host bits in an exclusion',
      { ipv4: { cidrs: ['10.0.0.0/24'], exclude: ['10.0.0.9/30'] } },
      ['ipv4.exclude[0]: has host bits set; the prefix is 10.0.0.8/30'],
    ],
    [
      'overlapping CIDRs',
      { ipv4: { cidrs: ['10.0.0.0/16', '10.0.5.0/24'] } },
      ['ipv4.cidrs[1]: overlaps ipv4.cidrs[0]'],
    ],
    [
      'gateway off-link',
      { ipv6: { cidrs: ['2001:db8::/64'], gateway: '2001:db9::1' } },
      ['ipv6.gateway: must be inside one of ipv6.cidrs (on-link)'],
    ],
    [
      'route without gateway',
      { ipv4: { cidrs: ['10.0.0.0/24'], routes: [{ destination: '10.1.0.0/16' }] } },
      ['ipv4.routes[0].gateway: a gateway is required unless scope is 253 (link)'],
    ],
    [
      'route with host bits',
      { ipv4: { cidrs: ['10.0.0.0/24'], routes: [{ destination: '10.1.0.1/16', scope: 253 }] } },
      ['ipv4.routes[0].destination: has host bits set; the prefix is 10.1.0.0/16'],
    ],
  ])('rejects %s', (_n, input, want) => {
    expect(lines(input)).toEqual(want);
  });

  it('never throws on junk', () => {
    for (const junk of [null, 42, 'x', [], { ipv4: null }, { ipv4: { cidrs: [1] } }]) {
      expect(validateIPPoolSpec(junk).ok).toBe(false);
    }
  });
});
