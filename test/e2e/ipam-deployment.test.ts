/**
 * IPPool addresses on the real node: a Deployment of three replicas from one NetworkProfile whose
 * config asks for an IPv4 address from an IPPool. Real kubelet + containerd (NRI), the real operator
 * and node agent as host processes (the workflow suite's process target), veth pairs as NICs whose
 * peers are joined by a bridge on the host side (the "fabric"). Each pod gets net1 with its own
 * address from the pool (also in the claim's networkData), the pods reach each other over net1, the
 * pool's status counts them, and deleting the Deployment returns every address. With a pool one
 * address too small, the third pod does not start: its events carry the prepare error naming the
 * pool, its claim says Ready=False (AddressPoolExhausted), and growing the pool lets it start.
 *
 * Needs root and the node tier; run under the node lock. Fails (never skips) with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { processTarget } from '../e2e-workflow/agent-targets.js';
import { repoRootOf } from '../support/agent-process.js';
import { Cleanup } from '../support/cleanup.js';
import { ensureNode, kubectl, type NodeInfo } from '../support/node.js';
import {
  apply,
  claimDevices,
  claimNameOf,
  createTestNics,
  deviceClass,
  eventsFor,
  getJson,
  installCrds,
  ip,
  networkProfile,
  podExec,
  podReady,
  runningContainers,
  type PodJson,
  waitDevicesPublished,
  waitPodReady,
  type TestNics,
} from './knd-e2e-env.js';

const REPLICAS = 3;
const suffix = randomBytes(3).toString('hex');
const NIC_PREFIX = 'kndIp';
const NAMESPACE = `knd-ipam-${suffix}`;
const CLASS = `ipam-${suffix}`;
const POOL = `e2e-${suffix}`;
const PROFILE = 'fabric-net';
const target = processTarget();

let node: NodeInfo;
let nics: TestNics;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  node = await ensureNode();
  nics = await createTestNics(NIC_PREFIX, REPLICAS);
  // the fabric: the peer ends, in their own namespace, joined by one bridge
  await ip(['-n', nics.peerNetns, 'link', 'add', 'fabric0', 'type', 'bridge']);
  for (const n of nics.names) await ip(['-n', nics.peerNetns, 'link', 'set', `${n}p`, 'master', 'fabric0']);
  await ip(['-n', nics.peerNetns, 'link', 'set', 'fabric0', 'up']);
  await installCrds(repoRootOf());
  await kubectl(['create', 'namespace', NAMESPACE]);
  await target.setUp(node, suffix);
  await waitDevicesPublished(node.nodeName, nics.names);
}, 900_000);

afterAll(async () => {
  const cleanup = new Cleanup();
  const attempt = cleanup.attempt.bind(cleanup);
  await attempt('delete namespace', () =>
    kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']),
  );
  await attempt('delete class', () => kubectl(['delete', 'networkdeviceclass', CLASS, '--ignore-not-found']));
  await attempt('delete pools', () =>
    kubectl(['delete', 'ippool', POOL, `${POOL}-small`, '--ignore-not-found']),
  );
  await attempt('tear down the agent and operator', () => target.tearDown());
  if (nics !== undefined) await attempt('remove test NICs', () => nics.remove());
  cleanup.done();
}, 300_000);

interface PodList {
  items: { metadata: { name: string }; status?: { phase?: string } }[];
}

function deployment(name: string, template: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': node.nodeName },
          terminationGracePeriodSeconds: 1,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          resourceClaims: [{ name: 'net', resourceClaimTemplateName: template }],
          containers: [
            {
              name: 'main',
              image: 'localhost/busybox:local',
              imagePullPolicy: 'Never',
              command: ['sleep', '3600'],
              resources: { claims: [{ name: 'net' }] },
            },
          ],
        },
      },
    },
  };
}

async function podsOf(app: string): Promise<string[]> {
  return waitFor(`${String(REPLICAS)} pods of ${app}`, async () => {
    const l = await getJson<PodList>(['pods', '-n', NAMESPACE, '-l', `app=${app}`]);
    return l.items.length === REPLICAS ? l.items.map((p) => p.metadata.name) : undefined;
  });
}

describe('IPPool addresses on a real node', () => {
  it('every replica of a Deployment gets its own pool address on net1, they reach each other, and deleting returns them', async () => {
    await apply([
      {
        apiVersion: 'knd.dev/v1alpha1',
        kind: 'IPPool',
        metadata: { name: POOL },
        spec: { ipv4: { cidrs: ['10.77.0.0/24'], gateway: '10.77.0.1' } },
      },
      deviceClass(CLASS, [`${NIC_PREFIX}*`]),
    ]);
    await apply(
      [networkProfile(PROFILE, CLASS, { interface: { name: 'net1' }, ipam: { ipv4Pool: POOL } })],
      NAMESPACE,
    );
    await waitFor('the ResourceClaimTemplate', () =>
      kubectl(['get', 'resourceclaimtemplate', '-n', NAMESPACE, PROFILE]),
    );
    await apply([deployment('clients', PROFILE)], NAMESPACE);
    const pods = await podsOf('clients');
    for (const p of pods) await waitPodReady(NAMESPACE, p, 180_000);

    const addresses: string[] = [];
    for (const p of pods) {
      const out = await podExec(NAMESPACE, p, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'net1']);
      const m = /inet (10\.77\.0\.\d+)\/24/.exec(out);
      expect(m?.[1] ?? `no pool address on net1 of ${p}: ${out}`).toMatch(/^10\.77\.0\.\d+$/);
      const addr = m?.[1] ?? '';
      expect(addr).not.toBe('10.77.0.1'); // the gateway is reserved
      addresses.push(addr);
      // the claim reports it (KEP-4817 networkData)
      const devices = await claimDevices(NAMESPACE, await claimNameOf(NAMESPACE, p));
      expect(JSON.stringify(devices)).toContain(`${addr}/24`);
    }
    expect(new Set(addresses).size).toBe(REPLICAS);

    // over the fabric (veth peers on one bridge): every pod reaches every other one on net1
    for (const [i, p] of pods.entries()) {
      for (const [j, addr] of addresses.entries()) {
        if (i === j) continue;
        const out = await podExec(NAMESPACE, p, ['ping', '-c', '1', '-W', '3', '-I', 'net1', addr]);
        expect(out).toMatch(/1 packets received/);
      }
    }

    const allocs = await getJson<{ items: { spec: { address: string } }[] }>([
      'ipallocations',
      '-l',
      `knd.dev/ip-pool=${POOL}`,
    ]);
    expect(allocs.items.map((a) => a.spec.address).sort()).toEqual([...addresses].sort());
    await waitFor('the pool status', async () => {
      const pool = await getJson<{ status?: { ipv4?: { allocated?: number; free?: number } } }>([
        'ippool',
        POOL,
      ]);
      return pool.status?.ipv4?.allocated === REPLICAS && pool.status.ipv4.free === 253 - REPLICAS
        ? true
        : undefined;
    });

    // the pods and their claims go: unprepare returns every address
    await kubectl(['delete', 'deployment', '-n', NAMESPACE, 'clients', '--wait=true']);
    await waitFor('every address released', async () => {
      const l = await getJson<{ items: unknown[] }>(['ipallocations', '-l', `knd.dev/ip-pool=${POOL}`]);
      return l.items.length === 0 ? true : undefined;
    });
  }, 600_000);

  it('a pool one address short: the third pod waits with the pool error in its events and Ready=False on its claim; growing the pool starts it', async () => {
    const small = `${POOL}-small`;
    const poolDoc = (cidrs: string[]) => ({
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'IPPool',
      metadata: { name: small },
      spec: { ipv4: { cidrs } },
    });
    await apply([poolDoc(['10.78.0.0/30'])]); // two addresses
    await apply(
      [networkProfile('small-net', CLASS, { interface: { name: 'net1' }, ipam: { ipv4Pool: small } })],
      NAMESPACE,
    );
    await waitFor('the ResourceClaimTemplate', () =>
      kubectl(['get', 'resourceclaimtemplate', '-n', NAMESPACE, 'small-net']),
    );
    await apply([deployment('short', 'small-net')], NAMESPACE);
    const pods = await podsOf('short');
    const message = `IPPool ${small} has no free IPv4 address: all 2 are allocated`;
    const waiting = await waitFor(
      'two pods Ready and one refused by the exhausted pool',
      async () => {
        const ready: string[] = [];
        let refused: string | undefined;
        for (const p of pods) {
          const pod = await getJson<PodJson>(['pod', '-n', NAMESPACE, p]);
          if (podReady(pod)) ready.push(p);
          else if ((await eventsFor(NAMESPACE, p)).some((e) => e.includes(message))) refused = p;
        }
        return ready.length === 2 && refused !== undefined ? refused : undefined;
      },
      180_000,
    );
    const claim = await claimNameOf(NAMESPACE, waiting);
    const devices = await waitFor('Ready=False on the refused claim', async () => {
      const d = await claimDevices(NAMESPACE, claim);
      return d.some((x) => x.conditions?.some((c) => c.status === 'False')) ? d : undefined;
    });
    expect(devices[0]?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'AddressPoolExhausted',
    });
    expect(devices[0]?.conditions?.[0]?.message).toContain(message);
    expect(devices[0]?.networkData).toBeUndefined();
    // never a pod without its address: the refused pod's containers do not run
    expect(runningContainers(await getJson<PodJson>(['pod', '-n', NAMESPACE, waiting]))).toEqual([]);
    // more addresses: the kubelet's retry prepares it
    await apply([poolDoc(['10.78.0.0/30', '10.78.1.0/30'])]);
    await waitPodReady(NAMESPACE, waiting, 180_000);
    const out = await podExec(NAMESPACE, waiting, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'net1']);
    expect(out).toMatch(/inet 10\.78\.1\.[12]\/30/);
    await kubectl(['delete', 'deployment', '-n', NAMESPACE, 'short', '--wait=true']);
    await waitFor('every address of the small pool released', async () => {
      const l = await getJson<{ items: unknown[] }>(['ipallocations', '-l', `knd.dev/ip-pool=${small}`]);
      return l.items.length === 0 ? true : undefined;
    });
    await kubectl(['delete', 'ippool', small]);
  }, 600_000);
});
