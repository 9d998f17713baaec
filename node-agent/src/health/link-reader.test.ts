import { describe, expect, it } from '@jest/globals';
import { linkStates } from './link-reader.js';

const link = (ifName: string, up: boolean, lowerUp: boolean | undefined, operstate?: string) => ({
  index: 1,
  ifName,
  mtu: 1500,
  mac: '',
  up,
  ...(lowerUp === undefined ? {} : { lowerUp }),
  ...(operstate === undefined ? {} : { operstate }),
});

describe('linkStates', () => {
  it('admin state from IFF_UP, carrier from IFF_LOWER_UP, operstate as reported', () => {
    expect(
      Object.fromEntries(
        linkStates([
          link('up0', true, true, 'up'),
          // a veth whose peer went down
          link('nocarrier0', true, false, 'down'),
          link('down0', false, false, 'down'),
          link('lo', true, true, 'unknown'),
          link('old0', true, undefined),
          link('', true, true),
        ]),
      ),
    ).toEqual({
      up0: { adminUp: true, carrier: true, operstate: 'up' },
      nocarrier0: { adminUp: true, carrier: false, operstate: 'down' },
      down0: { adminUp: false, carrier: false, operstate: 'down' },
      lo: { adminUp: true, carrier: true, operstate: 'unknown' },
      old0: { adminUp: true, carrier: false, operstate: 'unknown' },
    });
  });
});
