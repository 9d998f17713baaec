/**
 * The soak test: `params.pods` claim pods created and deleted over `params.nics` veth NICs,
 * `params.concurrency` at a time, while the agent is SIGKILLed and restarted, containerd restarted
 * and the kubelet restarted at points from the seeded fault schedule (soak-plan.ts). During the run
 * a sampler looks into random running claim pods: each must have net1 configured. After the last
 * deletion it waits (at most `END_WAIT_MS`) for the node to be clean and records what is left:
 * NICs not back intact, network namespaces, Ready sandboxes, the agent's plans / attach records /
 * completion marks, claim CDI specs, namespaces the agent still holds, plus the agent's RSS after
 * each fault settled. The caller owns set-up and tear-down (soak-env.ts) and the verdict
 * (soak-report.ts). Faults run one at a time; a fault that fails is recorded and the run goes on.
 */
import { isDeepStrictEqual } from 'node:util';
import { kubectl, restartContainerd, restartKubelet } from '../support/node.js';
import { apply, busyboxPod, hostNicState, testNicPeers } from '../e2e/knd-e2e-env.js';
import { SOAK_NIC_PREFIX, SOAK_TEMPLATE, type SoakEnv } from './soak-env.js';
import {
  agentPid,
  agentStateFiles,
  claimCdiSpecs,
  heldNetnsCount,
  ipNetnsNames,
  listContainerdNetns,
  rssKiB,
  sandboxesOf,
} from './soak-node-state.js';
import { PodBoard, checkNet1 } from './soak-pods.js';
import {
  planFaults,
  planHoldTimesMs,
  randomInt,
  rssVerdict,
  seededRandom,
  type PlannedFault,
  type RssSample,
  type SoakParams,
} from './soak-plan.js';
import type { EndState, FaultRecord, SoakReport } from './soak-report.js';

/** How long the node may take after the last deletion to be clean (unprepare, sandbox teardown). */
const END_WAIT_MS = 120_000;
/** Pause after a fault's recovery before the agent's RSS is read. */
const SETTLE_MS = 3_000;
const SAMPLE_INTERVAL_MS = 2_000;
const EXEC_WAIT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const firstLine = (error: unknown): string => (error as Error).message.split('\n')[0] ?? '';

export async function runSoak(
  env: SoakEnv,
  params: SoakParams,
  log: (line: string) => void,
): Promise<SoakReport> {
  const { node, nics, baseline } = env;
  if (node === undefined || nics === undefined || baseline === undefined) {
    throw new Error('runSoak before setUpSoak completed');
  }
  const t0 = Date.now();
  const plannedFaults = planFaults(params);
  const faultAfter = new Map(plannedFaults.map((f) => [f.afterPod, f]));
  const holdsMs = planHoldTimesMs(params);
  const pickRandom = seededRandom((params.seed ^ 0x5bd1_e995) >>> 0);
  const board = new PodBoard(env.namespace);

  const active = new Set<string>(); // created, not yet being deleted
  const podFailures: string[] = [];
  const faults: FaultRecord[] = [];
  const rssSamples: RssSample[] = [];
  const sampling = { taken: 0, unreachable: 0, withoutNet1: [] as string[] };
  let podsReady = 0;
  let completed = 0;
  let warm = params.warmupPods === 0;
  let agentDown = false;
  const nicsDestroyed: string[] = [];

  /** The agent's RSS now; none while the agent is down (a kill in progress), logged. */
  const sampleRss = async (label: string): Promise<void> => {
    const pid = await agentPid(env.runDir);
    try {
      if (pid === undefined) throw new Error('no agent PID file');
      rssSamples.push({ label, pid, rssKiB: await rssKiB(pid) });
    } catch (error) {
      log(`no RSS sample at "${label}": ${firstLine(error)}`);
    }
  };

  let faultChain: Promise<void> = Promise.resolve();
  const faultTimers: Promise<void>[] = [];
  const inject = async (f: PlannedFault): Promise<void> => {
    const started = Date.now();
    log(`fault ${faults.length + 1}/${plannedFaults.length}: ${f.kind} (after pod ${f.afterPod})`);
    try {
      if (f.kind === 'agent-kill') {
        agentDown = true;
        try {
          await env.target.kill();
          await sleep(f.downMs);
          await env.target.restart();
        } finally {
          agentDown = false;
        }
      } else if (f.kind === 'containerd-restart') {
        await restartContainerd(env.nodeOptions);
      } else {
        await restartKubelet(env.nodeOptions);
      }
      await sleep(SETTLE_MS);
      if (warm) await sampleRss(`after ${f.kind} (pod ${f.afterPod})`);
      faults.push({ kind: f.kind, afterPod: f.afterPod, atMs: started - t0, tookMs: Date.now() - started });
    } catch (error) {
      const message = (error as Error).message;
      log(`fault ${f.kind} failed: ${message}`);
      faults.push({
        kind: f.kind,
        afterPod: f.afterPod,
        atMs: started - t0,
        tookMs: Date.now() - started,
        error: message,
      });
    }
  };
  const scheduleFault = (f: PlannedFault): void => {
    faultTimers.push(
      sleep(f.delayMs).then(() => {
        faultChain = faultChain.then(() => inject(f));
        return faultChain;
      }),
    );
  };

  /** net1 inside a pod that just became Ready; retried while exec does not go through. */
  const expectNet1 = async (pod: string): Promise<void> => {
    const deadline = Date.now() + EXEC_WAIT_MS;
    for (;;) {
      try {
        const seen = await checkNet1(env.namespace, pod);
        sampling.taken++;
        if (seen.kind === 'missing') sampling.withoutNet1.push(`${pod} (at Ready): ${seen.seen}`);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`exec after Ready failed: ${firstLine(error)}`);
      }
      await sleep(1_000);
    }
  };

  const lifecycle = async (i: number): Promise<void> => {
    const pod = `sk-${env.tag}-${i}`;
    try {
      await apply([busyboxPod(pod, node.nodeName, SOAK_TEMPLATE)], env.namespace);
      active.add(pod);
      const fault = faultAfter.get(i);
      if (fault !== undefined) scheduleFault(fault);
      await board.waitReady(pod, params.podReadyTimeoutMs);
      podsReady++;
      await expectNet1(pod);
      await sleep(holdsMs[i] ?? 0);
    } catch (error) {
      podFailures.push(`${pod}: ${firstLine(error)}`);
    } finally {
      active.delete(pod);
    }
    try {
      await kubectl(['delete', 'pod', '-n', env.namespace, pod, '--wait=true', '--timeout=180s']);
    } catch (error) {
      podFailures.push(`${pod}: not deleted: ${firstLine(error)}`);
    }
    completed++;
    if (completed % 10 === 0 || completed === params.pods) {
      log(`${completed}/${params.pods} pods done (${podsReady} Ready, ${podFailures.length} failures)`);
    }
    if (completed === params.warmupPods) {
      warm = true;
      await sampleRss('warm-up');
    }
  };

  /** Random running claim pods (not being deleted) must have net1 configured. */
  let samplingOn = true;
  const sampler = (async () => {
    while (samplingOn) {
      await sleep(SAMPLE_INTERVAL_MS);
      const candidates = board.running().filter((p) => active.has(p.metadata.name));
      const pod = candidates[randomInt(pickRandom, candidates.length - 1)]?.metadata.name;
      if (pod === undefined) continue;
      try {
        const seen = await checkNet1(env.namespace, pod);
        sampling.taken++;
        // a pod whose deletion began during the exec may already have given its NIC back
        if (seen.kind === 'missing' && active.has(pod)) sampling.withoutNet1.push(`${pod}: ${seen.seen}`);
      } catch {
        sampling.unreachable++;
      }
    }
  })();

  /**
   * A veth destroyed with a pod namespace (its peer is gone too) is recorded and created again, so the
   * run goes on with all its NICs; each such event fails the run.
   */
  const watchNics = async (): Promise<void> => {
    const peers = new Set(await testNicPeers(nics));
    for (const name of nics.names) {
      if (peers.has(`${name}p`)) continue;
      const when = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
      nicsDestroyed.push(`${name} at ${when}${agentDown ? ' (agent down)' : ''}`);
      log(`${name} was destroyed (${when}${agentDown ? ', agent down' : ''}): creating it again`);
      await nics.recreate(name);
    }
  };
  const nicWatcher = (async () => {
    while (samplingOn) {
      await sleep(1_000);
      await watchNics().catch((error: unknown) => {
        log(`NIC watch failed: ${firstLine(error)}`);
      });
    }
  })();

  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < params.pods; i = next++) await lifecycle(i);
  };
  try {
    await Promise.all(Array.from({ length: params.concurrency }, () => worker()));
    await Promise.all(faultTimers);
    await faultChain;
  } finally {
    samplingOn = false;
    await sampler;
    await nicWatcher;
    await board.stop();
  }

  const lastDeletionAt = Date.now();
  const measure = async (): Promise<Omit<EndState, 'convergedAfterMs'>> => {
    const nicsLost: string[] = [];
    for (const name of nics.names) {
      const state = await hostNicState(name);
      const initial = nics.initial.get(name);
      if (state === undefined) nicsLost.push(`${name}: not in the host namespace`);
      else if (!isDeepStrictEqual(state, initial))
        nicsLost.push(`${name}: ${JSON.stringify(state)}, was ${JSON.stringify(initial)}`);
    }
    const pid = await agentPid(env.runDir);
    if (pid === undefined) throw new Error('the agent is not running at the end of the soak');
    return {
      nicsLost,
      netnsLeaked: (await listContainerdNetns()).filter((n) => !baseline.containerdNetns.has(n)),
      ipNetnsLeaked: (await ipNetnsNames()).filter(
        (n) => n.startsWith(SOAK_NIC_PREFIX) && n !== nics.peerNetns,
      ),
      agentNetnsHolds: await heldNetnsCount(pid),
      sandboxesLeft: await sandboxesOf(env.namespace, env.nodeOptions),
      stateFilesLeft: await agentStateFiles(env.stateDir),
      cdiSpecsLeft: (await claimCdiSpecs(env.cdiDir)).filter((n) => !baseline.cdiSpecs.has(n)),
    };
  };
  await watchNics(); // a NIC destroyed by the last deletions is counted here, not as "not on the host"
  let left = await measure();
  const clean = (e: typeof left): boolean =>
    [e.nicsLost, e.netnsLeaked, e.ipNetnsLeaked, e.sandboxesLeft, e.stateFilesLeft, e.cdiSpecsLeft].every(
      (l) => l.length === 0,
    ) && e.agentNetnsHolds === 0;
  while (!clean(left) && Date.now() - lastDeletionAt < END_WAIT_MS) {
    await sleep(1_000);
    left = await measure();
  }
  const end: EndState = { ...left, convergedAfterMs: Date.now() - lastDeletionAt };
  if (warm) {
    await sleep(SETTLE_MS);
    await sampleRss('end');
  }
  return {
    params,
    durationMs: Date.now() - t0,
    podsReady,
    podFailures,
    nicsDestroyed,
    faultsPlanned: plannedFaults.length,
    faults,
    sampling,
    end,
    rssSamples,
    rss: rssSamples.length === 0 ? undefined : rssVerdict(rssSamples, params.rssBoundRatio),
  };
}
