import { describe, it, expect } from '@jest/globals';
import { claimsHoldingDevices, describeClaimInUse, type ClaimLike } from './claims-in-use.js';

const claim = (name: string, results: [driver: string, pool: string][], pods: string[]): ClaimLike => ({
  metadata: { namespace: 'team-a', name },
  status: {
    allocation: {
      devices: { results: results.map(([driver, pool], i) => ({ driver, pool, device: `dev${i}` })) },
    },
    reservedFor: pods.map((p) => ({ resource: 'pods', name: p })),
  },
});

const served = new Set(['node-a', 'node-b']);
const lines = (claims: ClaimLike[]): string[] =>
  claimsHoldingDevices(claims, 'knd.dev', served).map(describeClaimInUse);

describe('claimsHoldingDevices', () => {
  it.each<[string, ClaimLike[], string[]]>([
    ['no claims', [], []],
    [
      'allocated but not reserved (no pod yet, or the pod is gone)',
      [claim('a', [['knd.dev', 'node-a']], [])],
      [],
    ],
    ['another driver only', [claim('gpu', [['gpu.example.com', 'node-a']], ['p1'])], []],
    ['a node this release does not serve', [claim('far', [['knd.dev', 'node-z']], ['p1'])], []],
    ['not allocated', [{ metadata: { namespace: 'x', name: 'y' }, status: {} }], []],
    [
      'a knd device in a pod, beside another driver',
      [
        claim(
          'net',
          [
            ['gpu.example.com', 'node-a'],
            ['knd.dev', 'node-a'],
          ],
          ['p1', 'p2'],
        ),
      ],
      ['team-a/net: dev1 in pods/p1, pods/p2'],
    ],
    [
      'several, sorted',
      [claim('b', [['knd.dev', 'node-b']], ['p2']), claim('a', [['knd.dev', 'node-a']], ['p1'])],
      ['team-a/a: dev0 in pods/p1', 'team-a/b: dev0 in pods/p2'],
    ],
  ])('%s', (_name, claims, expected) => {
    expect(lines(claims)).toEqual(expected);
  });
});
