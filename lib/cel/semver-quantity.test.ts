import { describe, expect, it } from '@jest/globals';
import { parseQuantityNanos } from './quantity.js';
import { compareSemver, parseSemver, parseSemverNormalized } from './semver.js';

describe('parseSemver (strict SemVer 2.0.0)', () => {
  it.each(['1.2.3', '0.0.0', '1.2.3-rc.1', '1.2.3-0.a-b', '1.2.3+build.5', '10.20.30-alpha+001'])(
    'accepts %s',
    (v) => {
      expect(() => parseSemver(v)).not.toThrow();
    },
  );
  it.each(['', '1.2', '1.2.3.4', '01.2.3', '1.2.3-', '1.2.3-01', '1.2.3+', 'v1.2.3', '1.2.3-a..b', 'x.y.z'])(
    'rejects %j',
    (v) => {
      expect(() => parseSemver(v)).toThrow(/invalid semantic version/);
    },
  );
  it.each<[string, string, number]>([
    ['1.0.0', '2.0.0', -1],
    ['1.10.0', '1.9.0', 1],
    ['1.0.0-alpha', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-rc.1', '1.0.0-beta.11', 1],
    ['1.0.0+a', '1.0.0+b', 0],
  ])('%s vs %s = %d', (a, b, want) => {
    expect(compareSemver(parseSemver(a), parseSemver(b))).toBe(want);
  });
  it.each<[string, string]>([
    ['v1', '1.0.0'],
    ['1.2', '1.2.0'],
    ['01.02.03', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
  ])('normalizes %s to %s', (raw, want) => {
    expect(compareSemver(parseSemverNormalized(raw), parseSemver(want))).toBe(0);
  });
  it('a short normalized version cannot carry a pre-release', () => {
    expect(() => parseSemverNormalized('1.2-rc')).toThrow(/short version/);
  });
});

describe('parseQuantityNanos', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['1', 1_000_000_000n],
    ['100m', 100_000_000n],
    ['1.5', 1_500_000_000n],
    ['1Ki', 1024n * 1_000_000_000n],
    ['1.5Gi', 1_610_612_736n * 1_000_000_000n],
    ['100G', 100n * 10n ** 18n],
    ['1e3', 1_000_000_000_000n],
    ['2E-3', 2_000_000n],
    ['-2k', -2_000_000_000_000n],
    ['+5n', 5n],
    ['0.1n', 1n],
    ['-0.1n', -1n],
    ['.5', 500_000_000n],
  ])('%s', (q, want) => {
    expect(parseQuantityNanos(q)).toBe(want);
  });
  it.each(['', 'abc', '1GB', '1 Gi', '1e', '--1'])('rejects %j', (q) => {
    expect(() => parseQuantityNanos(q)).toThrow(/invalid quantity/);
  });
});
