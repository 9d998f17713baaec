// The operator survives a kube-apiserver restart without crashing: watches and the Lease recover,
// and a profile created after the restart reconciles. (Only the apiserver process is restarted;
// test/support/apiserver-process.ts finds it through the harness's PID files in $KND_RUN_DIR/pids.)
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { startApiserver, stopApiserver, type ApiserverProcess } from '../support/apiserver-process.js';
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
let op: CountedOperator;
let stopped: ApiserverProcess | undefined;
const ns = uniq('knd-restart');
const cls = uniq('restart-cls');

const readyTrue = async (name: string): Promise<boolean> => {
  const o = await c.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
    `${G}/namespaces/${ns}/networkprofiles/${name}`,
  );
  return o.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
};

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
  op = await inProcessOperator();
});

afterAll(async () => {
  if (stopped) await startApiserver(stopped); // never leave the shared control plane down
  await op?.stop();
  await deleteIfExists(c, `/api/v1/namespaces/${ns}`);
  await deleteIfExists(c, `${G}/networkdeviceclasses/${cls}`);
});

describe('apiserver restart', () => {
  it('the operator keeps running and reconciles again once the apiserver is back', async () => {
    await c.create(`${G}/namespaces/${ns}/networkprofiles`, {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'before', namespace: ns },
      spec: { deviceClassName: cls },
    });
    await waitFor('before ready', () => readyTrue('before'));
    stopped = await stopApiserver();
    await new Promise((r) => setTimeout(r, 4000)); // longer than the test renew deadline (2 s)
    await startApiserver(stopped);
    stopped = undefined;
    await waitFor('apiserver ready', () => c.get('/readyz').then(() => true), 60_000, 250);
    // CRD routes come back after /readyz: wait until knd.dev is served again before creating
    await waitFor(
      'knd.dev/v1alpha1 served',
      () => c.get(`${G}/networkprofiles`).then(() => true),
      60_000,
      250,
    );
    await c.create(`${G}/namespaces/${ns}/networkprofiles`, {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'after', namespace: ns },
      spec: { deviceClassName: cls },
    });
    await waitFor('after ready', () => readyTrue('after'), 60_000, 250);
    expect(op.isLeader).toBe(true);
    expect(
      await c.get(`/apis/resource.k8s.io/v1/namespaces/${ns}/resourceclaimtemplates/after`),
    ).toBeDefined();
  }, 150_000);
});
