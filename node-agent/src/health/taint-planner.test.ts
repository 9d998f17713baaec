import { describe, expect, it } from '@jest/globals';
import type { TaintEffect } from '../../../lib/api/device-taints.js';
import type { LinkVerdict } from './link-health.js';
import { planTaints, rfc3339Seconds, type TaintEntry } from './taint-planner.js';

const HOLD_MS = 5000;
const T0 = Date.parse('2026-12-07T10:00:00.400Z');
const bad = (reason: 'NoCarrier' | 'AdminDown' | 'Gone' = 'NoCarrier'): LinkVerdict => ({
  kind: 'unhealthy',
  reason,
  message: '',
});
const ok: LinkVerdict = { kind: 'healthy', message: '' };
const unknown: LinkVerdict = { kind: 'unknown', message: '' };

/** Runs a timeline of (ms after T0, verdict of nic0) and returns the value published after each step. */
function timeline(steps: [number, LinkVerdict][], effect: TaintEffect = 'NoSchedule') {
  let previous: ReadonlyMap<string, TaintEntry> = new Map();
  return steps.map(([at, v]) => {
    const r = planTaints({
      previous,
      verdicts: new Map([['nic0', v]]),
      published: ['nic0'],
      nowMs: T0 + at,
      holdMs: HOLD_MS,
      effectOf: () => effect,
    });
    previous = r.entries;
    const t = r.taints.get('nic0')?.[0];
    return {
      tainted: t ? `${t.value}@${t.timeAdded}` : '-',
      wake: r.wakeAtMs === undefined ? '-' : r.wakeAtMs - T0,
    };
  });
}

describe('planTaints', () => {
  it('formats timeAdded like metav1.Time (seconds, Z)', () => {
    expect(rfc3339Seconds(T0)).toBe('2026-12-07T10:00:00Z');
  });

  it.each<[string, [number, LinkVerdict][], { tainted: string; wake: number | string }[]]>([
    [
      'healthy device: never tainted',
      [
        [0, ok],
        [1000, ok],
      ],
      [
        { tainted: '-', wake: '-' },
        { tainted: '-', wake: '-' },
      ],
    ],
    [
      'unhealthy -> tainted at once with timeAdded',
      [[0, bad()]],
      [{ tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: '-' }],
    ],
    [
      'healthy again: taint held for holdMs, then removed',
      [
        [0, bad()],
        [1000, ok],
        [5999, ok],
        [6000, ok],
      ],
      [
        { tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: '-' },
        { tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: 6000 },
        { tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: 6000 },
        { tainted: '-', wake: '-' },
      ],
    ],
    [
      'flapping restarts the hold and keeps the first timeAdded',
      [
        [0, bad()],
        [1000, ok],
        [3000, bad('AdminDown')],
        [4000, ok],
        [8999, ok],
        [9000, ok],
      ],
      [
        { tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: '-' },
        { tainted: 'NoCarrier@2026-12-07T10:00:00Z', wake: 6000 },
        { tainted: 'AdminDown@2026-12-07T10:00:00Z', wake: '-' },
        { tainted: 'AdminDown@2026-12-07T10:00:00Z', wake: 9000 },
        { tainted: 'AdminDown@2026-12-07T10:00:00Z', wake: 9000 },
        { tainted: '-', wake: '-' },
      ],
    ],
    [
      'unknown changes nothing: no taint from nothing, a taint stays, a running hold keeps its deadline',
      [
        [0, unknown],
        [1000, bad()],
        [2000, unknown],
        [3000, ok],
        [4000, unknown],
        [9000, unknown],
        [9500, ok],
      ],
      [
        { tainted: '-', wake: '-' },
        { tainted: 'NoCarrier@2026-12-07T10:00:01Z', wake: '-' },
        { tainted: 'NoCarrier@2026-12-07T10:00:01Z', wake: '-' },
        { tainted: 'NoCarrier@2026-12-07T10:00:01Z', wake: 8000 },
        { tainted: 'NoCarrier@2026-12-07T10:00:01Z', wake: 8000 },
        // expired while unknown: no wake (no busy loop), removed by the next healthy verdict
        { tainted: 'NoCarrier@2026-12-07T10:00:01Z', wake: '-' },
        { tainted: '-', wake: '-' },
      ],
    ],
  ])('%s', (_name, steps, want) => {
    expect(timeline(steps)).toEqual(want);
  });

  it('takes the effect from effectOf on every plan and forgets devices no longer published', () => {
    const first = planTaints({
      previous: new Map(),
      verdicts: new Map([
        ['a', bad()],
        ['b', bad('Gone')],
      ]),
      published: ['a', 'b'],
      nowMs: T0,
      holdMs: HOLD_MS,
      effectOf: (d) => (d === 'a' ? 'NoExecute' : 'None'),
    });
    expect(first.taints.get('a')).toEqual([
      {
        key: 'knd.dev/unhealthy',
        value: 'NoCarrier',
        effect: 'NoExecute',
        timeAdded: '2026-12-07T10:00:00Z',
      },
    ]);
    expect(first.taints.get('b')?.[0]?.effect).toBe('None');
    const second = planTaints({
      previous: first.entries,
      verdicts: new Map(),
      published: ['a'],
      nowMs: T0 + 1000,
      holdMs: HOLD_MS,
      effectOf: () => 'NoSchedule',
    });
    expect([...second.entries.keys()]).toEqual(['a']);
    expect(second.taints.get('a')?.[0]?.effect).toBe('NoSchedule');
  });

  it('wakes at the earliest running hold', () => {
    const previous = new Map<string, TaintEntry>([
      ['a', { reason: 'NoCarrier', timeAdded: 'x', healthySinceMs: T0 - 1000 }],
      ['b', { reason: 'NoCarrier', timeAdded: 'x', healthySinceMs: T0 - 3000 }],
    ]);
    const r = planTaints({
      previous,
      verdicts: new Map([
        ['a', ok],
        ['b', ok],
      ]),
      published: ['a', 'b'],
      nowMs: T0,
      holdMs: HOLD_MS,
      effectOf: () => 'NoSchedule',
    });
    expect(r.wakeAtMs).toBe(T0 + 2000);
  });
});
