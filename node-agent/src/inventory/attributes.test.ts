import { describe, expect, it } from '@jest/globals';
import { ATTR, fitAttributeLimits, joinWithinLimit, type Attributes } from './attributes.js';

describe('joinWithinLimit', () => {
  it.each([
    [[], ''],
    [['10.0.0.2/24', '10.0.0.1/24'], '10.0.0.1/24,10.0.0.2/24'],
    [
      ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/64', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:2/64'],
      '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/64',
    ],
  ])('%j -> %s (whole values, ≤ 64 chars)', (values, want) => {
    expect(joinWithinLimit(values)).toBe(want);
    expect(joinWithinLimit(values).length).toBeLessThanOrEqual(64);
  });
});

describe('fitAttributeLimits', () => {
  it('drops over-long strings instead of cutting them', () => {
    const r = fitAttributeLimits({ [ATTR.ifName]: { string: 'x'.repeat(65) }, [ATTR.mtu]: { int: 1500 } });
    expect(r.attributes).toEqual({ [ATTR.mtu]: { int: 1500 } });
    expect(r.dropped).toEqual([`${ATTR.ifName}: value longer than 64 characters`]);
  });

  it('every knd attribute together fits the 32-entry limit', () => {
    const all = Object.fromEntries(Object.values(ATTR).map((n) => [n, { bool: true }])) as Attributes;
    expect(Object.keys(all).length).toBeLessThanOrEqual(32);
    expect(fitAttributeLimits(all).dropped).toEqual([]);
  });
});
