import { describe, expect, it } from '@jest/globals';
// Expected names computed independently with Python's base64.b32encode.
import { base32Lower, isDnsLabel, netdevDeviceName } from './device-name.js';

describe('netdevDeviceName', () => {
  it.each([
    ['veth0', 'veth0'],
    ['macvlan-1', 'macvlan-1'],
    ['eth0.100', 'net-mv2gqmbogeyda'],
    ['Eth0', 'net-iv2gqma'],
    ['-x', 'net-fv4a'],
    ['pci-0000-00-03-0', 'net-obrwsljqgaydaljqgawtamznga'],
    ['net-x', 'net-nzsxilly'],
  ])('%s -> %s', (ifName, want) => {
    expect(netdevDeviceName(ifName)).toBe(want);
    expect(isDnsLabel(netdevDeviceName(ifName))).toBe(true);
  });

  it('matches RFC 4648 base32 (lower case, no padding)', () => {
    expect(base32Lower(new TextEncoder().encode('foobar'))).toBe('mzxw6ytboi');
    expect(base32Lower(new Uint8Array(15).fill(255))).toHaveLength(24);
  });
});
