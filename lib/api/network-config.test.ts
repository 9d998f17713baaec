import { describe, expect, it } from '@jest/globals';
import { mergeNetworkConfigs } from './network-config.js';

describe('mergeNetworkConfigs', () => {
  it('merges ipam per family: a claim can add an IPv6 pool to the class IPv4 pool or replace it', () => {
    expect(mergeNetworkConfigs([{ ipam: { ipv4Pool: 'a' } }, { ipam: { ipv6Pool: 'b' } }])).toEqual({
      ipam: { ipv4Pool: 'a', ipv6Pool: 'b' },
    });
    expect(mergeNetworkConfigs([{ ipam: { ipv4Pool: 'a' } }, { ipam: { ipv4Pool: 'c' } }])).toEqual({
      ipam: { ipv4Pool: 'c' },
    });
    expect(mergeNetworkConfigs([{ ipam: { ipv4Pool: 'a' } }, { interface: { mtu: 9000 } }])).toEqual({
      ipam: { ipv4Pool: 'a' },
      interface: { mtu: 9000 },
    });
  });
});
