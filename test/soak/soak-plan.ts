/**
 * The pure part of the soak test (test/soak/soak-run.ts): its parameters and their validation, the
 * seeded PRNG, the fault schedule, and the verdict on the agent's RSS samples. No I/O here: the same
 * seed and parameters give the same schedule (which pods are followed by which fault, after how long),
 * so a failing run can be replayed with `--seed`. Timing on the node is not reproducible; the schedule
 * is.
 */

export const FAULT_KINDS = ['agent-kill', 'containerd-restart', 'kubelet-restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SoakParams {
  /** Claim pods created (and deleted) in the whole run. */
  readonly pods: number;
  /** Claim pods in flight (created, not yet deleted) at once. */
  readonly concurrency: number;
  /** veth pairs offered as NICs; pods beyond this wait Pending for a free one. */
  readonly nics: number;
  /** Faults per pod: round(pods × faultRate) faults, each right after a randomly chosen pod's creation. */
  readonly faultRate: number;
  /** uint32 seed of the PRNG (fault schedule, hold times, sampling). */
  readonly seed: number;
  /** A Ready pod is kept for a uniform time in [0, maxHoldMs] before it is deleted. */
  readonly maxHoldMs: number;
  /** A fault starts a uniform time in [0, maxFaultDelayMs] after its pod's creation. */
  readonly maxFaultDelayMs: number;
  /** A pod that is not Ready within this time counts as failed (it is still deleted). */
  readonly podReadyTimeoutMs: number;
  /** Pods completed before the first RSS sample (the agent's heap grows while it warms up). */
  readonly warmupPods: number;
  /** "Flat": the last RSS sample is at most the first (after warm-up) times this ratio. */
  readonly rssBoundRatio: number;
}

export const DEFAULT_SOAK_PARAMS: Omit<SoakParams, 'seed'> = {
  pods: 300,
  concurrency: 6,
  nics: 4,
  faultRate: 0.05,
  maxHoldMs: 2_000,
  maxFaultDelayMs: 3_000,
  podReadyTimeoutMs: 180_000,
  warmupPods: 10,
  rssBoundRatio: 1.5,
};

/** The command-line flag of a parameter: `--fault-rate` for faultRate. */
export function optionName(name: keyof SoakParams): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Raw option values as `node:util` parseArgs gives them (strings), by parameter name. */
export type RawSoakOptions = Partial<Record<keyof SoakParams, string>>;

function intIn(field: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field}: an integer in ${min}..${max} expected, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function numberIn(field: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${field}: a number in ${min}..${max} expected, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Validates the options (field path `--<name>` in errors); a missing option takes its default, a
 * missing seed is `randomSeed` (the caller prints it so that the run can be repeated).
 */
export function parseSoakParams(raw: RawSoakOptions, randomSeed: number): SoakParams {
  const d = DEFAULT_SOAK_PARAMS;
  const pick = <T>(name: keyof SoakParams, fallback: T, parse: (field: string, v: string) => T): T => {
    const v = raw[name];
    return v === undefined ? fallback : parse(optionName(name), v);
  };
  const params: SoakParams = {
    pods: pick('pods', d.pods, (f, v) => intIn(f, v, 1, 5_000)),
    concurrency: pick('concurrency', d.concurrency, (f, v) => intIn(f, v, 1, 50)),
    nics: pick('nics', d.nics, (f, v) => intIn(f, v, 1, 50)),
    faultRate: pick('faultRate', d.faultRate, (f, v) => numberIn(f, v, 0, 1)),
    seed: pick('seed', randomSeed >>> 0, (f, v) => intIn(f, v, 0, 0xffff_ffff)),
    maxHoldMs: pick('maxHoldMs', d.maxHoldMs, (f, v) => intIn(f, v, 0, 600_000)),
    maxFaultDelayMs: pick('maxFaultDelayMs', d.maxFaultDelayMs, (f, v) => intIn(f, v, 0, 600_000)),
    podReadyTimeoutMs: pick('podReadyTimeoutMs', d.podReadyTimeoutMs, (f, v) =>
      intIn(f, v, 1_000, 3_600_000),
    ),
    warmupPods: pick('warmupPods', d.warmupPods, (f, v) => intIn(f, v, 0, 5_000)),
    rssBoundRatio: pick('rssBoundRatio', d.rssBoundRatio, (f, v) => numberIn(f, v, 1, 100)),
  };
  if (params.warmupPods >= params.pods) {
    throw new Error(`--warmup-pods: must be below --pods (${params.pods}), got ${params.warmupPods}`);
  }
  return params;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A uniform integer in [0, max]. */
export function randomInt(random: () => number, max: number): number {
  return Math.min(max, Math.floor(random() * (max + 1)));
}

export interface PlannedFault {
  readonly kind: FaultKind;
  /** Index of the pod whose creation starts the fault's timer. */
  readonly afterPod: number;
  /** Time from that pod's creation to the fault. */
  readonly delayMs: number;
  /** agent-kill only: how long the agent stays down before it is started again. */
  readonly downMs: number;
}

/**
 * round(pods × faultRate) faults (at most one per pod) after distinct, randomly chosen pods; the
 * kinds go round-robin from a random start, so every kind occurs once there are at least three
 * faults and no kind occurs more than once more than another. Sorted by pod index.
 */
export function planFaults(params: SoakParams): PlannedFault[] {
  const random = seededRandom(params.seed);
  const count = Math.min(params.pods, Math.round(params.pods * params.faultRate));
  // partial Fisher-Yates: the first `count` entries are a uniform sample of the pod indices
  const indices = Array.from({ length: params.pods }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(random, params.pods - 1 - i);
    [indices[i], indices[j]] = [indices[j] ?? j, indices[i] ?? i];
  }
  const chosen = indices.slice(0, count).sort((a, b) => a - b);
  const start = randomInt(random, FAULT_KINDS.length - 1);
  return chosen.map((afterPod, k) => ({
    kind: FAULT_KINDS[(start + k) % FAULT_KINDS.length] ?? 'agent-kill',
    afterPod,
    delayMs: randomInt(random, params.maxFaultDelayMs),
    downMs: randomInt(random, params.maxFaultDelayMs),
  }));
}

/** Hold time of each pod, from a PRNG stream of its own (independent of the fault schedule). */
export function planHoldTimesMs(params: SoakParams): number[] {
  const random = seededRandom((params.seed ^ 0x9e37_79b9) >>> 0);
  return Array.from({ length: params.pods }, () => randomInt(random, params.maxHoldMs));
}

export interface RssSample {
  readonly label: string;
  readonly pid: number;
  readonly rssKiB: number;
}

export interface RssVerdict {
  readonly samples: number;
  readonly firstKiB: number;
  readonly lastKiB: number;
  readonly maxKiB: number;
  /** last ≤ boundKiB = first × rssBoundRatio */
  readonly boundKiB: number;
  readonly flat: boolean;
}

/** First/last/max of the samples (taken after warm-up) and whether the last stays within the bound. */
export function rssVerdict(samples: readonly RssSample[], rssBoundRatio: number): RssVerdict {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) {
    throw new Error('rssVerdict: no RSS sample was taken (did the run reach its warm-up?)');
  }
  const boundKiB = Math.round(first.rssKiB * rssBoundRatio);
  return {
    samples: samples.length,
    firstKiB: first.rssKiB,
    lastKiB: last.rssKiB,
    maxKiB: Math.max(...samples.map((s) => s.rssKiB)),
    boundKiB,
    flat: last.rssKiB <= boundKiB,
  };
}
