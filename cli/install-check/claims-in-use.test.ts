import { describe, it, expect } from '@jest/globals';
import { claimsHoldingDevices, type ClaimLike } from './claims-in-use.js';

const claim = (name: string, drivers: string[], pods: string[]): ClaimLike => ({
  metadata: { namespace: 'team-a', name },
  status: {
    allocation: { devices: { results: drivers.map((driver, i) => ({ driver, device: `dev${i}` })) } },
    reservedFor: pods.map((p) => ({ resource: 'pods', name: p })),
  },
});

describe('claimsHoldingDevices', () => {
  it.each<[string, ClaimLike[], string[]]>([
    ['no claims', [], []],
    ['allocated but not reserved (no pod yet, or the pod is gone)', [claim('a', ['knd.dev'], [])], []],
    ['another driver only', [claim('gpu', ['gpu.example.com'], ['p1'])], []],
    ['not allocated', [{ metadata: { namespace: 'x', name: 'y' }, status: {} }], []],
    [
      'a knd device in a pod, beside another driver',
      [claim('net', ['gpu.example.com', 'knd.dev'], ['p1', 'p2'])],
      ['team-a/net: dev1 in pods/p1, pods/p2'],
    ],
    [
      'several, sorted',
      [claim('b', ['knd.dev'], ['p2']), claim('a', ['knd.dev'], ['p1'])],
      ['team-a/a: dev0 in pods/p1', 'team-a/b: dev0 in pods/p2'],
    ],
  ])('%s', (_name, claims, expected) => {
    expect(claimsHoldingDevices(claims, 'knd.dev')).toEqual(expected);
  });
});
