// The soak test's pure parts (test/soak/soak-plan.ts, soak-report.ts): parameter validation with the
// flag in the error, the seeded schedule (same seed, same schedule; counts and kinds as documented),
// the RSS verdict, and the end-state verdict naming each failed check.
import { describe, it, expect } from '@jest/globals';
import {
  DEFAULT_SOAK_PARAMS,
  FAULT_KINDS,
  optionName,
  parseSoakParams,
  planFaults,
  planHoldTimesMs,
  rssVerdict,
  seededRandom,
  type SoakParams,
} from '../soak/soak-plan.js';
import { formatSoakReport, soakFailures, type SoakReport } from '../soak/soak-report.js';

const base: SoakParams = { ...DEFAULT_SOAK_PARAMS, seed: 42 };

describe('parseSoakParams', () => {
  it('takes the defaults and the random seed when nothing is given', () => {
    expect(parseSoakParams({}, 7)).toEqual({ ...DEFAULT_SOAK_PARAMS, seed: 7 });
  });

  it('takes given values, the seed included', () => {
    expect(
      parseSoakParams({ pods: '40', concurrency: '4', nics: '4', faultRate: '0.1', seed: '123' }, 7),
    ).toEqual({ ...DEFAULT_SOAK_PARAMS, pods: 40, concurrency: 4, nics: 4, faultRate: 0.1, seed: 123 });
  });

  it.each([
    [{ pods: '0' }, /^--pods: an integer in 1\.\.5000 expected, got "0"$/],
    [{ pods: 'many' }, /^--pods: /],
    [{ concurrency: '2.5' }, /^--concurrency: /],
    [{ nics: '' }, /^--nics: /],
    [{ faultRate: '1.5' }, /^--fault-rate: a number in 0\.\.1 expected, got "1\.5"$/],
    [{ seed: '-1' }, /^--seed: /],
    [{ seed: '4294967296' }, /^--seed: /],
    [{ maxHoldMs: '-5' }, /^--max-hold-ms: /],
    [{ rssBoundRatio: '0.9' }, /^--rss-bound-ratio: /],
    [{ pods: '10', warmupPods: '10' }, /^--warmup-pods: must be below --pods \(10\), got 10$/],
  ])('refuses %j naming the flag', (raw, message) => {
    expect(() => parseSoakParams(raw, 1)).toThrow(message);
  });

  it('spells every parameter as its command-line flag', () => {
    expect(optionName('faultRate')).toBe('--fault-rate');
    expect(optionName('podReadyTimeoutMs')).toBe('--pod-ready-timeout-ms');
    expect(optionName('pods')).toBe('--pods');
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for one seed, in [0, 1), and differs for another seed', () => {
    const take = (seed: number): number[] => {
      const r = seededRandom(seed);
      return Array.from({ length: 1000 }, () => r());
    };
    const a = take(1);
    expect(take(1)).toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(take(2)).not.toEqual(a);
    // roughly uniform: each tenth of [0, 1) holds 100 ± 40 of 1000 draws
    for (let d = 0; d < 10; d++) {
      const n = a.filter((x) => x >= d / 10 && x < (d + 1) / 10).length;
      expect(Math.abs(n - 100)).toBeLessThan(40);
    }
  });
});

describe('planFaults', () => {
  it.each([
    [300, 0.05, 15],
    [36, 4 / 36, 4],
    [10, 0, 0],
    [10, 1, 10],
    [7, 0.5, 4],
  ])('%i pods at rate %f: %i faults after distinct pods, kinds round-robin', (pods, faultRate, count) => {
    const plan = planFaults({ ...base, pods, faultRate });
    expect(plan).toHaveLength(count);
    const after = plan.map((f) => f.afterPod);
    expect(new Set(after).size).toBe(count);
    expect(after).toEqual([...after].sort((x, y) => x - y));
    expect(after.every((i) => i >= 0 && i < pods)).toBe(true);
    const perKind = FAULT_KINDS.map((k) => plan.filter((f) => f.kind === k).length);
    expect(Math.max(...perKind) - Math.min(...perKind)).toBeLessThanOrEqual(1);
    if (count >= FAULT_KINDS.length) expect(Math.min(...perKind)).toBeGreaterThanOrEqual(1);
    for (const f of plan) {
      expect(f.delayMs).toBeGreaterThanOrEqual(0);
      expect(f.delayMs).toBeLessThanOrEqual(base.maxFaultDelayMs);
      expect(f.downMs).toBeGreaterThanOrEqual(0);
      expect(f.downMs).toBeLessThanOrEqual(base.maxFaultDelayMs);
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const plan = planFaults(base);
    expect(planFaults({ ...base })).toEqual(plan);
    expect(planFaults({ ...base, seed: 43 })).not.toEqual(plan);
  });

  it('hold times: one per pod, within the bound, repeatable', () => {
    const holds = planHoldTimesMs(base);
    expect(holds).toHaveLength(base.pods);
    expect(holds.every((h) => Number.isInteger(h) && h >= 0 && h <= base.maxHoldMs)).toBe(true);
    expect(planHoldTimesMs(base)).toEqual(holds);
  });
});

describe('rssVerdict', () => {
  const s = (rssKiB: number): { label: string; pid: number; rssKiB: number } => ({
    label: 'x',
    pid: 1,
    rssKiB,
  });
  it.each([
    [
      [100_000, 140_000, 120_000],
      1.5,
      { firstKiB: 100_000, lastKiB: 120_000, maxKiB: 140_000, boundKiB: 150_000, flat: true },
    ],
    [
      [100_000, 160_000],
      1.5,
      { firstKiB: 100_000, lastKiB: 160_000, maxKiB: 160_000, boundKiB: 150_000, flat: false },
    ],
    [
      [100_000, 150_000],
      1.5,
      { firstKiB: 100_000, lastKiB: 150_000, maxKiB: 150_000, boundKiB: 150_000, flat: true },
    ],
    [[80_000], 1.2, { firstKiB: 80_000, lastKiB: 80_000, maxKiB: 80_000, boundKiB: 96_000, flat: true }],
  ])('%j with ratio %f', (kib, ratio, expected) => {
    expect(rssVerdict(kib.map(s), ratio)).toEqual({ samples: kib.length, ...expected });
  });

  it('refuses an empty series', () => {
    expect(() => rssVerdict([], 1.5)).toThrow(/no RSS sample/);
  });
});

describe('soakFailures', () => {
  const clean: SoakReport = {
    params: { ...base, pods: 3 },
    durationMs: 1_000,
    podsReady: 3,
    podFailures: [],
    nicsDestroyed: [],
    faultsPlanned: 1,
    faults: [{ kind: 'agent-kill', afterPod: 1, atMs: 10, tookMs: 5 }],
    sampling: { taken: 5, unreachable: 1, withoutNet1: [] },
    end: {
      nicsLost: [],
      netnsLeaked: [],
      ipNetnsLeaked: [],
      agentNetnsHolds: 0,
      sandboxesLeft: [],
      stateFilesLeft: [],
      cdiSpecsLeft: [],
      convergedAfterMs: 0,
    },
    rssSamples: [{ label: 'warm-up', pid: 1, rssKiB: 100 }],
    rss: { samples: 1, firstKiB: 100, lastKiB: 100, maxKiB: 100, boundKiB: 150, flat: true },
  };

  it('a clean run passes', () => {
    expect(soakFailures(clean)).toEqual([]);
    expect(formatSoakReport(clean)).toMatch(/^seed 42 \(repeat with --seed 42\)\n[^]*\nPASS$/);
  });

  it.each<[string, Partial<SoakReport>, RegExp]>([
    [
      'a failed pod',
      { podFailures: ['sk-0: not Ready'], podsReady: 2 },
      /^1 pod\(s\) failed: sk-0: not Ready$/,
    ],
    ['a pod never Ready', { podsReady: 2 }, /^2 of 3 pods became Ready$/],
    ['a fault not injected', { faults: [] }, /^0 of 1 planned faults were injected$/],
    [
      'a failed fault',
      { faults: [{ kind: 'kubelet-restart', afterPod: 0, atMs: 0, tookMs: 1, error: 'no Node Ready' }] },
      /^1 fault\(s\) failed: kubelet-restart: no Node Ready$/,
    ],
    [
      'a pod without net1',
      { sampling: { taken: 1, unreachable: 0, withoutNet1: ['sk-1: eth0 inet 10.88.0.5/24'] } },
      /^1 running claim pod\(s\) without net1: sk-1/,
    ],
    [
      'a NIC destroyed during the run',
      { nicsDestroyed: ['kndSk1 at 12.5 s (agent down)'] },
      /^1 NIC\(s\) destroyed with a pod network namespace during the run: kndSk1 at 12\.5 s \(agent down\)$/,
    ],
    [
      'a lost NIC',
      { end: { ...clean.end, nicsLost: ['kndSk0: not in the host namespace'] } },
      /NIC\(s\) lost/,
    ],
    ['a leaked netns', { end: { ...clean.end, netnsLeaked: ['cni-1'] } }, /leaked in containerd: cni-1/],
    ['a leaked ip netns', { end: { ...clean.end, ipNetnsLeaked: ['kndSk-x'] } }, /ip netns namespace/],
    ['a held netns', { end: { ...clean.end, agentNetnsHolds: 2 } }, /still holds 2 pod network/],
    ['a sandbox left', { end: { ...clean.end, sandboxesLeft: ['abc'] } }, /sandbox\(es\) left/],
    [
      'a plan left',
      { end: { ...clean.end, stateFilesLeft: ['plans/u.json', 'attached/u_d'] } },
      /^2 file\(s\) left in the agent state dir: plans\/u\.json; attached\/u_d$/,
    ],
    ['a CDI spec left', { end: { ...clean.end, cdiSpecsLeft: ['knd.dev-claim_u.json'] } }, /CDI spec/],
    ['no RSS sample', { rss: undefined }, /^no RSS sample/],
    [
      'RSS grown',
      { rss: { samples: 2, firstKiB: 100, lastKiB: 151, maxKiB: 151, boundKiB: 150, flat: false } },
      /^agent RSS not flat: last 151 KiB > 150 KiB/,
    ],
  ])('names %s', (_what, change, message) => {
    const failures = soakFailures({ ...clean, ...change });
    expect(failures.some((f) => message.test(f))).toBe(true);
    expect(formatSoakReport({ ...clean, ...change })).toMatch(/\nFAIL:\n/);
  });

  it('lists at most five items of a long list', () => {
    const many = Array.from({ length: 8 }, (_, i) => `cni-${i}`);
    expect(soakFailures({ ...clean, end: { ...clean.end, netnsLeaked: many } })).toEqual([
      '8 network namespace(s) leaked in containerd: cni-0; cni-1; cni-2; cni-3; cni-4; … (8 in all)',
    ]);
  });
});
