// The soak test, short (the long one is `npm run soak`, bench/soak.ts): 36 claim pods over 4 veth NICs,
// 4 at a time, with 4 faults from the seeded schedule — so every kind at least once: the agent
// SIGKILLed and restarted, containerd restarted, the kubelet restarted — at random points of the pods'
// lives. The end state must be exactly clean: every NIC back on the host with its initial name, MTU,
// MAC and addresses; no running claim pod ever seen without net1; no network namespace, Ready sandbox,
// plan, attach record, completion mark or claim CDI spec left; the agent holding no pod namespace;
// its RSS flat. KND_SOAK_SEED repeats a run (the seed is printed).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { newSoakEnv, setUpSoak, tearDownSoak } from './soak-env.js';
import { FAULT_KINDS, parseSoakParams } from './soak-plan.js';
import { formatSoakReport, soakFailures, type SoakReport } from './soak-report.js';
import { runSoak } from './soak-run.js';

const params = parseSoakParams(
  {
    pods: '36',
    concurrency: '4',
    nics: '4',
    faultRate: String(4 / 36),
    maxHoldMs: '1000',
    warmupPods: '4',
    podReadyTimeoutMs: '120000',
    ...(process.env['KND_SOAK_SEED'] === undefined ? {} : { seed: process.env['KND_SOAK_SEED'] }),
  },
  randomBytes(4).readUInt32LE(0),
);
const env = newSoakEnv();
let report: SoakReport | undefined;

beforeAll(async () => {
  console.log(`soak seed ${params.seed} (repeat with KND_SOAK_SEED=${params.seed})`);
  await setUpSoak(env, params.nics);
}, 600_000);

afterAll(async () => {
  await tearDownSoak(env, report === undefined || soakFailures(report).length > 0);
}, 300_000);

describe('soak: claim pods created and deleted while the agent, containerd and the kubelet restart', () => {
  it('never strands a NIC: every NIC back intact, no pod ran without net1, nothing left behind, agent RSS flat', async () => {
    const lines: string[] = [];
    report = await runSoak(env, params, (line) => lines.push(line));
    console.log(`${formatSoakReport(report)}\n\nprogress:\n${lines.join('\n')}`);

    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(report.faults.filter((f) => f.error !== undefined)).toEqual([]);
    expect(report.podFailures).toEqual([]);
    expect(report.podsReady).toBe(params.pods);
    expect(report.sampling.withoutNet1).toEqual([]);
    expect(report.nicsDestroyed).toEqual([]);
    // every pod was looked into at Ready, plus the sampler's looks
    expect(report.sampling.taken).toBeGreaterThanOrEqual(params.pods);
    expect(report.end).toEqual({
      nicsLost: [],
      netnsLeaked: [],
      ipNetnsLeaked: [],
      agentNetnsHolds: 0,
      sandboxesLeft: [],
      stateFilesLeft: [],
      cdiSpecsLeft: [],
      convergedAfterMs: expect.any(Number),
    });
    expect(report.rss?.flat).toBe(true);
    expect(soakFailures(report)).toEqual([]);
  }, 600_000);
});
