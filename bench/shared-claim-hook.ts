// What the shared-claim lookup adds to the NRI RunPodSandbox hook (docs/nri.md, "Shared claims"):
// the real agent process (from dist/, NRI plugin on, served to a runtime peer over a unix socket),
// the real kube-apiserver and kube-scheduler on loopback. Each sample is one RunPodSandbox round
// trip seen by the runtime, for a sandbox without a network namespace: the hook looks up the plans
// (and, for a pod without one, reads the candidate claims), then refuses a pod that has a plan
// before any kernel work, or lets a pod without one start. The kernel part (bench/nri-hook.ts) is
// thus left out; what differs between the series is only the plan and claim lookup:
//   known     a pod whose own claim was prepared (the common case): no API call
//   shared    a new pod that only uses an already prepared claim: one GET per claim this node
//             prepared in the namespace (K), one of them lists the pod, its plan is rewritten (fsync)
//   no-claim  a pod that uses no claim, in that namespace: K GETs, nothing found
//   other-ns  a pod that uses no claim, in a namespace where this node prepared nothing: no API call
// for K = 1 and K = 8. The series are interleaved per round. Bounded: rounds x 2 pods created.
// Run: npx tsc -p tsconfig.json --noEmit false --outDir /tmp/knd-hc-dist &&
//      KND_KUBECONFIG=... node /tmp/knd-hc-dist/bench/shared-claim-hook.js [rounds]   (from the repo root)
import { CoreV1Api, KubeConfig, ResourceV1Api } from '@kubernetes/client-node';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { FakeRuntime, type FakeRuntimeConnection } from '../test/support/nri/fake-runtime.js';
import { registerLikeKubelet, type WireClaim } from '../test/support/kubelet-client.js';
import { makeSysfsFixture, manyNics } from '../test/support/sysfs-fixture.js';
import {
  agentDirs,
  buildAgent,
  createAllocatedClaim,
  createFakeNode,
  createPodUsingClaims,
  startAgent,
  stopAgent,
  waitForSliceDevices,
  type RunningAgent,
} from '../test/integration/dra-agent-harness.js';
import { summarize } from './discovery-stats.js';

const rounds = Number(process.argv[2] ?? 30);
const kubeconfig = process.env['KND_KUBECONFIG'] ?? '';
if (kubeconfig === '')
  throw new Error('set KND_KUBECONFIG to the test control plane (test/cluster/up.sh prints it)');
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);
const suffix = randomBytes(3).toString('hex');
const node = `bench-shared-${suffix}`;
const ns = `bench-shared-${suffix}`;
const className = `bench-shared-${suffix}`;
const NICS = 8;

/** One RunPodSandbox round trip in ms; `refused` when the hook failed the sandbox. */
async function runSandbox(
  conn: FakeRuntimeConnection,
  pod: { uid: string; name: string; namespace: string },
): Promise<{ ms: number; refused: boolean }> {
  const t = process.hrtime.bigint();
  const refused = await conn
    .call(
      'RunPodSandbox',
      'RunPodSandboxRequest',
      { pod: { id: `sb-${pod.uid}`, ...pod, linux: { namespaces: [] } } },
      'RunPodSandboxResponse',
    )
    .then(
      () => false,
      () => true,
    );
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, refused };
}

async function main(): Promise<void> {
  buildAgent();
  const fixture = await makeSysfsFixture(manyNics(NICS));
  const runtime = new FakeRuntime();
  await runtime.listen();
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await createFakeNode(core, node);
  await resource.createDeviceClass({
    body: {
      metadata: { name: className },
      spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
    },
  });
  const dirs = await agentDirs();
  const rows: Record<string, string | number>[] = [];
  let agent: RunningAgent | undefined;
  try {
    agent = await startAgent({
      nodeName: node,
      sysfsRoot: fixture.root,
      dirs,
      kubeconfig,
      nriSocket: runtime.socketPath,
      logLevel: 'info', // the harness reads the metrics port from an info line
    });
    const conn = await runtime.nextConnection();
    const { client } = await registerLikeKubelet(agent.registrationSocket);
    await waitForSliceDevices(resource, node, NICS);
    const prepared: { claim: WireClaim; podUid: string }[] = [];
    const prepare = async (i: number): Promise<void> => {
      const c = await createAllocatedClaim(core, resource, ns, `c${i}`, node, { className });
      const claim = { namespace: ns, name: `c${i}`, uid: c.claim.metadata?.uid ?? '' };
      const res = await client.prepare([claim]);
      if (res.claims[claim.uid]?.error !== '')
        throw new Error(`prepare c${i}: ${res.claims[claim.uid]?.error}`);
      prepared.push({ claim, podUid: c.podUid });
    };
    await prepare(0);
    for (const k of [1, NICS]) {
      while (prepared.length < k) await prepare(prepared.length);
      const owner = prepared[0];
      if (!owner) throw new Error('no prepared claim');
      const series: Record<string, number[]> = { known: [], shared: [], 'no-claim': [], 'other-ns': [] };
      for (let r = 0; r < rounds + 2; r++) {
        const name = `s${k}-${r}`;
        const uid = await createPodUsingClaims(core, resource, ns, name, node, ['c0']);
        const samples = {
          known: await runSandbox(conn, { uid: owner.podUid, name: 'c0', namespace: ns }),
          shared: await runSandbox(conn, { uid, name, namespace: ns }),
          'no-claim': await runSandbox(conn, { uid: randomUUID(), name: `plain-${r}`, namespace: ns }),
          'other-ns': await runSandbox(conn, { uid: randomUUID(), name: `plain-${r}`, namespace: 'default' }),
        };
        if (!samples.known.refused || !samples.shared.refused || samples['no-claim'].refused) {
          throw new Error(`round ${r}: unexpected hook outcome ${JSON.stringify(samples)}`);
        }
        await core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
        if (r < 2) continue; // warm-up
        for (const [key, v] of Object.entries(samples)) series[key]?.push(v.ms);
      }
      for (const [key, v] of Object.entries(series)) rows.push({ K: k, ...summarize(key, v) });
    }
    client.close();
  } finally {
    if (agent) await stopAgent(agent);
    await runtime.dispose();
    await rm(dirs.base, { recursive: true, force: true });
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
    await fixture.cleanup();
  }
  process.stdout.write(
    `RunPodSandbox round trip (ms) seen by the runtime, no kernel work; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(1) ?? '?'}\n\n`,
  );
  process.stdout.write(
    '| K claims in the namespace | pod | n | P50 | P90 | P99 | max |\n|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r['K']} | ${r['name']} | ${r['n']} | ${r['p50Ms']} | ${r['p90Ms']} | ${r['p99Ms']} | ${r['maxMs']} |\n`,
    );
  }
}

await main();
