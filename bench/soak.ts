// Soak test of "never strand a NIC" on the real node (the long version; test/e2e-workflow/
// knd-soak.test.ts is the short one inside npm test): hundreds of claim pods created and deleted over
// a handful of veth NICs (kndSk0..) while the agent is SIGKILLed and restarted, containerd restarted
// and the kubelet restarted at points from a seeded schedule (test/soak/). At the end: every NIC back
// on the host intact, no running claim pod seen without net1, no network namespace, sandbox, plan,
// attach record, completion mark or CDI spec left, the agent's RSS flat.
//
// Run (root, from the repository root; reuses a running control plane and node, leaves them running):
//   npm run soak -- [--pods 300] [--concurrency 6] [--nics 4] [--fault-rate 0.05] [--seed N]
//                   [--max-hold-ms 2000] [--max-fault-delay-ms 3000] [--pod-ready-timeout-ms 180000]
//                   [--warmup-pods 10] [--rss-bound-ratio 1.5]
// Prints the seed first (repeat a run with --seed), progress, then the report; exits 1 when a check
// failed (the agent's state dir is then kept and named for a post-mortem).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRootOf, runDirOf } from '../test/support/agent-process.js';
import { newSoakEnv, setUpSoak, tearDownSoak } from '../test/soak/soak-env.js';
import { DEFAULT_SOAK_PARAMS, optionName, parseSoakParams, type SoakParams } from '../test/soak/soak-plan.js';
import { formatSoakReport, soakFailures } from '../test/soak/soak-report.js';
import { runSoak } from '../test/soak/soak-run.js';

const names = [...Object.keys(DEFAULT_SOAK_PARAMS), 'seed'] as (keyof SoakParams)[];
const { values } = parseArgs({
  options: Object.fromEntries(names.map((n) => [optionName(n).slice(2), { type: 'string' as const }])),
  strict: true,
});
const params = parseSoakParams(
  Object.fromEntries(
    names.flatMap((n) => {
      const v = values[optionName(n).slice(2)];
      return typeof v === 'string' ? [[n, v]] : [];
    }),
  ),
  randomBytes(4).readUInt32LE(0),
);
const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env['KND_KUBECONFIG'] ??= path.join(runDirOf(), 'admin.kubeconfig');

function sh(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { encoding: 'utf8', timeout: 600_000 }, (e, _out, err) => {
      if (e === null) resolve();
      else reject(new Error(`${file} ${args.join(' ')}: ${err || e.message}`));
    });
  });
}

const log = (line: string): void => {
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
};

async function main(): Promise<number> {
  log(`soak: seed ${params.seed} (repeat with --seed ${params.seed})`);
  log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  await sh('bash', [path.join(repoRootOf(), 'test', 'cluster', 'up.sh')]);
  const env = newSoakEnv({ distDir, build: false });
  let failed = true;
  try {
    await setUpSoak(env, params.nics);
    log(`set up: namespace ${env.namespace}, agent state dir ${env.stateDir}`);
    const report = await runSoak(env, params, log);
    console.log(formatSoakReport(report));
    failed = soakFailures(report).length > 0;
  } finally {
    await tearDownSoak(env, failed);
    if (failed) log(`agent state dir kept: ${env.stateDir}; agent log: ${runDirOf()}/logs/knd-agent.log`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
