// NodePrepareResources latency, measured the way the kubelet sees it: the real agent process (from
// dist/) over its unix socket, claims allocated by the real kube-scheduler on the real apiserver,
// plan + CDI spec fsynced before each answer. For each batch size (1, 8, 64 claims per call) every
// iteration prepares a fresh set (unprepared in between, so each call does the full work: claim
// read (one GET per claim: the agent has no informer), planning, validation, durable write). Also
// the idempotent retry (already prepared: answered from the plan, no API call).
// Run: npx tsc -p tsconfig.json --noEmit false --outDir /tmp/knd-dra-dist &&
//      KND_KUBECONFIG=... node /tmp/knd-dra-dist/bench/prepare.js [iterations]   (from the repo root)
import { CoreV1Api, ResourceV1Api } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { makeSysfsFixture, manyNics } from '../test/support/sysfs-fixture.js';
import { registerLikeKubelet, type WireClaim } from '../test/support/kubelet-client.js';
import {
  agentDirs,
  buildAgent,
  createAllocatedClaim,
  createFakeNode,
  startAgent,
  stopAgent,
  waitForSliceDevices,
} from '../test/integration/dra-agent-harness.js';

/** Nearest-rank percentiles of millisecond samples. */
function summarize(samples: readonly number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
  return { p50: at(50), p99: at(99) };
}

const iterations = Number(process.argv[2] ?? 60);
const kubeconfigEnv = process.env['KND_KUBECONFIG'];
if (!kubeconfigEnv)
  throw new Error('set KND_KUBECONFIG to the test control plane (bash test/cluster/up.sh prints it)');
const kubeconfig: string = kubeconfigEnv;
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

const CLAIMS = 64;
const suffix = randomBytes(3).toString('hex');
const node = `bench-prep-${suffix}`;
const ns = `bench-prep-${suffix}`;
const className = `bench-prep-${suffix}`;

async function main(): Promise<void> {
  buildAgent();
  const fixture = await makeSysfsFixture(manyNics(CLAIMS));
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await createFakeNode(core, node);
  await resource.createDeviceClass({
    body: {
      metadata: { name: className },
      spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
    },
  });
  const config = {
    interface: { name: 'net1', addresses: ['198.51.100.10/24', '2001:db8::10/64'], mtu: 9000 },
    routes: [{ destination: '203.0.113.0/24', gateway: '198.51.100.1' }],
    ethtool: { features: { 'rx-checksumming': true } },
  };
  const rows: string[] = [];
  try {
    const dirs = await agentDirs();
    const agent = await startAgent({
      nodeName: node,
      sysfsRoot: fixture.root,
      dirs,
      kubeconfig,
      logLevel: 'info',
    });
    try {
      const { client } = await registerLikeKubelet(agent.registrationSocket);
      await waitForSliceDevices(resource, node, CLAIMS);
      process.stderr.write(`allocating ${CLAIMS} claims with the real scheduler...\n`);
      const t0 = Date.now();
      const made: WireClaim[] = [];
      for (let i = 0; i < CLAIMS; i += 8) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(8, CLAIMS - i) }, (_, j) =>
            createAllocatedClaim(core, resource, ns, `c${i + j}`, node, { className, config }),
          ),
        );
        for (const b of batch)
          made.push({
            namespace: ns,
            name: b.claim.metadata?.name ?? '',
            uid: b.claim.metadata?.uid ?? '',
          });
      }
      process.stderr.write(`allocated in ${Date.now() - t0} ms\n`);
      claims = made;
      for (const n of [1, 8, 64]) {
        const fresh: number[] = [];
        const retry: number[] = [];
        for (let it = 0; it < iterations; it++) {
          const start = (it * n) % CLAIMS;
          const set = Array.from({ length: n }, (_, k) => claims[(start + k) % CLAIMS] as WireClaim);
          let t = process.hrtime.bigint();
          const res = await client.prepare(set);
          fresh.push(Number(process.hrtime.bigint() - t) / 1e6);
          for (const c of set) {
            const e = res.claims[c.uid]?.error;
            if (e !== '') throw new Error(`prepare failed for ${c.name}: ${String(e)}`);
          }
          t = process.hrtime.bigint();
          await client.prepare(set);
          retry.push(Number(process.hrtime.bigint() - t) / 1e6);
          await client.unprepare(set);
        }
        const f = summarize(fresh);
        const r = summarize(retry);
        rows.push(
          `| GET per claim | ${n} | ${iterations} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${(f.p50 / n).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
        );
        process.stderr.write(`${rows[rows.length - 1] ?? ''}\n`);
      }
      client.close();
    } finally {
      await stopAgent(agent);
      await rm(dirs.base, { recursive: true, force: true });
    }
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
    await fixture.cleanup();
  }
  process.stdout.write(
    `NodePrepareResources latency (ms), real agent process over its unix socket, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})\n\n`,
  );
  process.stdout.write(
    '| claim read | claims/call | calls | fresh P50 | fresh P99 | P50 per claim | retry P50 | retry P99 |\n|---|---|---|---|---|---|---|---|\n',
  );
  process.stdout.write(`${rows.join('\n')}\n`);
}

let claims: WireClaim[] = [];
await main();
