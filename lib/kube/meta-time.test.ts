import { describe, expect, it } from '@jest/globals';
import { metaTime, microTime } from './meta-time.js';

describe('meta-time', () => {
  it.each([
    ['2026-11-28T06:00:00.123Z', '2026-11-28T06:00:00Z', '2026-11-28T06:00:00.123000Z'],
    ['2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000000Z'],
  ])('%s', (iso, meta, micro) => {
    const d = new Date(iso);
    expect(metaTime(d)).toBe(meta);
    expect(microTime(d.getTime())).toBe(micro);
  });
});
