import { describe, expect, it } from '@jest/globals';
import { parseIpLinkJson } from './link-reader.js';

describe('parseIpLinkJson', () => {
  it('reads admin state from UP and carrier from LOWER_UP / NO-CARRIER', () => {
    const text = JSON.stringify([
      { ifname: 'up0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP' },
      // a veth whose peer went down
      { ifname: 'nocarrier0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], operstate: 'DOWN' },
      { ifname: 'down0', flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN' },
      { ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN' },
      { flags: ['UP'] },
    ]);
    expect(Object.fromEntries(parseIpLinkJson(text))).toEqual({
      up0: { adminUp: true, carrier: true, operstate: 'up' },
      nocarrier0: { adminUp: true, carrier: false, operstate: 'down' },
      down0: { adminUp: false, carrier: false, operstate: 'down' },
      lo: { adminUp: true, carrier: true, operstate: 'unknown' },
    });
  });

  it('rejects output that is not a list', () => {
    expect(() => parseIpLinkJson('{}')).toThrow('expected a JSON list');
  });
});
