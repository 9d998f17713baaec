/**
 * Day-2 operations on the helm-installed release, on the real node (kubelet + containerd), with veth
 * pairs as NICs: `helm upgrade` to a new agent image while pods hold NICs (they keep them; a pod
 * created during the rollout gets its NIC once the new agent is up), `helm rollback`, and
 * `helm uninstall` while a claim pod runs (refused by the pre-delete hook, naming the claim; once the
 * pod is gone and its NIC back, uninstall removes every ResourceSlice and generated DeviceClass and
 * ResourceClaimTemplate; the CRDs and the user's NetworkDeviceClass/NetworkProfile objects stay).
 * After each step every test NIC is in the pod that holds it or back on the host intact.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { repoRootOf } from '../support/agent-process.js';
import {
  agentPods,
  buildAndImportImages,
  helm,
  installLocal,
  waitAgentReady,
  waitNoAgentPods,
  type Release,
} from '../support/helm-release.js';
import { Cleanup } from '../support/cleanup.js';
import { uniqueName } from '../support/kube.js';
import { ensureNode, kubectl, type NodeInfo } from '../support/node.js';
import {
  apply,
  busyboxPod,
  createTestNics,
  deletePod,
  deviceClass,
  exampleSecondaryNicConfig,
  getJson,
  hostNicState,
  installCrds,
  networkProfile,
  podExec,
  waitDevicesPublished,
  waitHostNic,
  waitPodReady,
  type TestNics,
} from '../e2e/knd-e2e-env.js';

const PREFIX = 'kndD2';
const SUFFIX = uniqueName('x').slice(2);
const NAMESPACE = `knd-d2-${SUFFIX}`;
const release: Release = { name: 'knd-d2', namespace: 'knd-d2-system' };
const classFor = (i: number): string => `d2-${SUFFIX}-nic${i}`;
const profileFor = (i: number): string => `nic${i}`;

let node: NodeInfo;
let nics: TestNics;
let installed = false;

async function agentImage(): Promise<string> {
  const pods = await agentPods(release);
  return pods.map((p) => p.spec?.containers?.[0]?.image ?? '').join(',');
}

/** Pods in `holders` have net1 with the profile's address; every other test NIC is on the host intact. */
async function expectNics(holders: ReadonlyMap<number, string>): Promise<void> {
  for (const [i, name] of nics.names.entries()) {
    const pod = holders.get(i);
    if (pod === undefined) {
      expect(await waitHostNic(name)).toEqual(nics.initial.get(name));
    } else {
      expect(await hostNicState(name)).toBeUndefined();
      expect(await podExec(NAMESPACE, pod, ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain(
        '198.51.100.10/24',
      );
    }
  }
}

async function createPod(nic: number): Promise<string> {
  const name = uniqueName(`d2-${nic}`);
  await apply([busyboxPod(name, node.nodeName, profileFor(nic))], NAMESPACE);
  return name;
}

async function waitGone(what: string, args: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = '';
  for (;;) {
    const json = await getJson<{ items: { metadata: { name: string } }[] }>(args);
    left = json.items.map((i) => i.metadata.name).join(', ');
    if (left === '') return;
    if (Date.now() > deadline) throw new Error(`${what} still there after ${timeoutMs} ms: ${left}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  node = await ensureNode();
  nics = await createTestNics(PREFIX, 3);
  const config = await exampleSecondaryNicConfig(repoRootOf());
  await installCrds(repoRootOf());
  await kubectl(['create', 'namespace', NAMESPACE]);
  await buildAndImportImages('dev');
  await installLocal(release, [], 'dev');
  installed = true;
  await waitAgentReady(release);
  await waitDevicesPublished(node.nodeName, nics.names);
  for (let i = 0; i < nics.names.length; i++) {
    await apply([deviceClass(classFor(i), [`${PREFIX}${i}`])]);
    await apply([networkProfile(profileFor(i), classFor(i), config)], NAMESPACE);
  }
  // the operator (the release's Deployment) renders a ResourceClaimTemplate per profile
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rcts = await getJson<{ items: unknown[] }>(['resourceclaimtemplates', '-n', NAMESPACE]);
    if (rcts.items.length === nics.names.length) break;
    if (Date.now() > deadline) throw new Error('the operator did not render the ResourceClaimTemplates');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 900_000);

afterAll(async () => {
  const cleanup = new Cleanup();
  const attempt = cleanup.attempt.bind(cleanup);
  // pods first, while the agent still runs, so every NIC goes back through it
  await attempt('delete namespace', () =>
    kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']),
  );
  if (installed)
    await attempt('helm uninstall', () =>
      helm(['uninstall', release.name, '-n', release.namespace, '--wait']),
    );
  for (let i = 0; i < 3; i++)
    await attempt(`delete class ${i}`, () =>
      kubectl(['delete', 'networkdeviceclass', classFor(i), '--ignore-not-found']),
    );
  await attempt('delete release namespace', () =>
    kubectl([
      'delete',
      'namespace',
      release.namespace,
      '--ignore-not-found',
      '--wait=true',
      '--timeout=120s',
    ]),
  );
  if (nics !== undefined) await attempt('remove test NICs', () => nics.remove());
  cleanup.done();
}, 300_000);

describe('day-2 operations on the helm-installed release (real kubelet + containerd)', () => {
  let podA = '';
  let podB = '';

  it('helm upgrade to a new agent image while a pod holds its NIC: the pod keeps it; a pod created during the rollout gets its NIC once the new agent is up; nothing lost', async () => {
    podA = await createPod(0);
    await waitPodReady(NAMESPACE, podA);
    const before = (await agentPods(release)).map((p) => p.metadata.uid);
    expect(await agentImage()).toBe('localhost/knd-agent:dev');

    // a new image: the same build with another label, so another image id and tag
    await buildAndImportImages('dev-upgrade', 'upgrade');
    const upgrade = installLocal(release, [], 'dev-upgrade');
    podB = await createPod(1);
    await upgrade;
    await waitAgentReady(release, before);
    expect(await agentImage()).toBe('localhost/knd-agent:dev-upgrade');
    await waitPodReady(NAMESPACE, podB, 120_000);
    await expectNics(
      new Map([
        [0, podA],
        [1, podB],
      ]),
    );
    const history = await helm(['history', release.name, '-n', release.namespace, '-o', 'json']);
    expect((JSON.parse(history) as unknown[]).length).toBe(2);
  });

  it('helm rollback to the first revision: the old image runs again, the pods keep their NICs; deleting them returns the NICs intact', async () => {
    const before = (await agentPods(release)).map((p) => p.metadata.uid);
    await helm(['rollback', release.name, '1', '-n', release.namespace, '--wait', '--timeout', '180s']);
    await waitAgentReady(release, before);
    expect(await agentImage()).toBe('localhost/knd-agent:dev');
    await expectNics(
      new Map([
        [0, podA],
        [1, podB],
      ]),
    );
    await deletePod(NAMESPACE, podA);
    await deletePod(NAMESPACE, podB);
    await expectNics(new Map());
  });

  it('helm uninstall while a claim pod runs is refused, naming the claim; once the pod is gone and its NIC back, uninstall leaves no ResourceSlice or generated DeviceClass/ResourceClaimTemplate; CRDs and the user’s objects stay', async () => {
    const podC = await createPod(2);
    await waitPodReady(NAMESPACE, podC);

    const refused = await helm([
      'uninstall',
      release.name,
      '-n',
      release.namespace,
      '--wait',
      '--timeout',
      '120s',
    ]).then(
      () => 'uninstalled',
      (e: unknown) => (e as Error).message,
    );
    expect(refused).toMatch(/job knd-d2-pre-uninstall failed/);
    const why = await kubectl(['logs', '-n', release.namespace, `job/${release.name}-pre-uninstall`]);
    expect(why).toMatch(/knd is still in use: 1 claim\(s\) hold knd\.dev devices in pods/);
    expect(why).toContain(`${NAMESPACE}/${podC}-net-`);
    expect(why).toContain(`pods/${podC}`);
    // nothing was deleted: Helm marks the release `uninstalling` until the next uninstall, and the
    // agent still runs, so the pod keeps its NIC
    expect(await helm(['status', release.name, '-n', release.namespace])).toMatch(/STATUS: uninstalling/);
    await waitAgentReady(release, [], 5_000);
    await expectNics(new Map([[2, podC]]));

    await deletePod(NAMESPACE, podC);
    await expectNics(new Map());
    await helm(['uninstall', release.name, '-n', release.namespace, '--wait', '--timeout', '180s']);
    installed = false;
    await waitNoAgentPods(release);
    await waitGone('knd.dev ResourceSlices', ['resourceslices', '--field-selector', 'spec.driver=knd.dev']);
    await waitGone('generated DeviceClasses', [
      'deviceclasses',
      '-l',
      'app.kubernetes.io/managed-by=knd-operator',
    ]);
    await waitGone('generated ResourceClaimTemplates', [
      'resourceclaimtemplates',
      '-A',
      '-l',
      'app.kubernetes.io/managed-by=knd-operator',
    ]);
    // Helm keeps CRDs; the user's intent objects stay for a later install
    await kubectl(['get', 'crd', 'networkdeviceclasses.knd.dev', 'networkprofiles.knd.dev']);
    const profiles = await getJson<{ items: unknown[] }>(['networkprofiles', '-n', NAMESPACE]);
    expect(profiles.items).toHaveLength(3);
    await expectNics(new Map());
  });
});
