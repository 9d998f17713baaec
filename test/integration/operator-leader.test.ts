// Two operator replicas against the real apiserver: exactly one holds the Lease and acts; the other
// issues no writes at all; when the leader stops, the standby takes over and reconciles.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import {
  adminClient,
  deleteIfExists,
  ensureNamespace,
  inProcessOperator,
  installCrds,
  uniq,
  waitFor,
  type CountedOperator,
} from './operator-harness.js';

const G = '/apis/knd.dev/v1alpha1';
let c: KubeRestClient;
const ns = uniq('knd-leader');
const cls = uniq('leader-cls');
const leaseName = uniq('knd-leader-lease');
let a: CountedOperator;
let b: CountedOperator;

const profile = (name: string) => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkProfile',
  metadata: { name, namespace: ns },
  spec: { deviceClassName: cls },
});

async function readyTrue(name: string): Promise<boolean> {
  const o = await c.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
    `${G}/namespaces/${ns}/networkprofiles/${name}`,
  );
  return o.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
}

beforeAll(async () => {
  c = adminClient();
  await installCrds(c);
  await ensureNamespace(c, ns);
  await c.apply(`${G}/networkdeviceclasses/${cls}`, {
    apiVersion: 'knd.dev/v1alpha1',
    kind: 'NetworkDeviceClass',
    metadata: { name: cls },
    spec: {},
  });
  [a, b] = await Promise.all([
    inProcessOperator({ leaseName, identity: 'replica-a' }),
    inProcessOperator({ leaseName, identity: 'replica-b' }),
  ]);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await deleteIfExists(c, `/api/v1/namespaces/${ns}`);
  await deleteIfExists(c, `${G}/networkdeviceclasses/${cls}`);
  await deleteIfExists(c, `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${leaseName}`);
});

describe('leader election', () => {
  it('exactly one replica leads and only it writes; the standby takes over when the leader stops', async () => {
    await waitFor('a leader', () => Promise.resolve(a.isLeader || b.isLeader));
    // sample for 3 s: never two leaders
    for (let i = 0; i < 30; i++) {
      expect(a.isLeader && b.isLeader).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [leader, standby] = a.isLeader ? [a, b] : [b, a];
    const lease = await c.get<{ spec: { holderIdentity: string } }>(
      `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${leaseName}`,
    );
    expect(lease.spec.holderIdentity).toBe(leader.identity);
    await c.create(`${G}/namespaces/${ns}/networkprofiles`, profile('p1'));
    await waitFor('p1 ready', () => readyTrue('p1'));
    expect(leader.writes()).toBeGreaterThan(0);
    expect(standby.writes()).toBe(0);

    await leader.stop();
    const leaderWrites = leader.writes();
    await waitFor('standby leads', () => Promise.resolve(standby.isLeader), 15_000);
    await c.create(`${G}/namespaces/${ns}/networkprofiles`, profile('p2'));
    await waitFor('p2 ready', () => readyTrue('p2'));
    expect(standby.writes()).toBeGreaterThan(0);
    expect(leader.writes()).toBe(leaderWrites);
  }, 60_000);
});
