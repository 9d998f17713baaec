// The Helm chart against the real control plane: `helm lint` is clean, bad value combinations fail
// the render with a message, `helm template` output (CRDs included) passes a server-side dry-run
// apply, and after a real `helm install` the ValidatingAdmissionPolicy lets the agent's
// ServiceAccount write only ResourceSlices of its own node.
//
// The agent's identity here is the real one: a ServiceAccount token issued by the apiserver's
// TokenRequest API bound to a Node object (`kubectl create token --bound-object-kind Node`), which
// carries the user extra authentication.kubernetes.io/node-name (ServiceAccountTokenNodeBinding and
// ServiceAccountTokenPodNodeInfo are GA in 1.35; a pod's projected token carries the same extra).
// helm is built from the Go module proxy by test/cluster/build.sh (a no-op when cached).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig, CoreV1Api, CustomObjectsApi, ResourceV1Api } from '@kubernetes/client-node';
import { cachedBinary } from '../support/versions.js';
import { testKubeConfig, uniqueName, waitFor } from '../support/kube.js';

const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'knd');
const helmBin = cachedBinary('helm', 'helm');
const kubectlBin = cachedBinary('kube', 'kubectl');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], input?: string): Run {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: readonly string[], input?: string): string {
  const r = run(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const kubeconfig = (): string => {
  const f = process.env['KND_KUBECONFIG'];
  if (!f) throw new Error('KND_KUBECONFIG is not set: the jest global setup did not start the control plane');
  return f;
};
const helm = (args: readonly string[]): Run => run(helmBin, [...args, '--kubeconfig', kubeconfig()]);
const kubectl = (args: readonly string[], input?: string): string =>
  must(kubectlBin, ['--kubeconfig', kubeconfig(), ...args], input);

/** resource.k8s.io client of the control plane's cluster with a ServiceAccount token as the user. */
function resourceApiWithToken(token: string): ResourceV1Api {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const tokenKc = new KubeConfig();
  tokenKc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
    currentContext: 'sa',
  });
  return tokenKc.makeApiClient(ResourceV1Api);
}

function customObjectsWithToken(token: string): CustomObjectsApi {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const tokenKc = new KubeConfig();
  tokenKc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
    currentContext: 'sa',
  });
  return tokenKc.makeApiClient(CustomObjectsApi);
}

/** The status code and body of a refused client-node call, for matching the apiserver's message. */
function errorText(e: unknown): string {
  const err = e as { code?: number; body?: unknown; message?: string };
  return `${String(err.code ?? '')} ${typeof err.body === 'string' ? err.body : JSON.stringify(err.body ?? err.message)}`;
}

let serverVersion = '';
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(() => {
  // builds helm on the first run (minutes), then a cache hit
  must('bash', [join(root, 'test', 'cluster', 'build.sh'), 'helm']);
  kc = testKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  const v = JSON.parse(kubectl(['version', '-o', 'json'])) as { serverVersion?: { gitVersion?: string } };
  serverVersion = v.serverVersion?.gitVersion ?? '';
  expect(serverVersion).toMatch(/^v1\.\d+\.\d+/);
}, 900_000);

describe('charts/knd static checks', () => {
  it('helm lint --strict is clean', () => {
    const r = run(helmBin, ['lint', '--strict', chart]);
    expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  it.each([
    [['--set', 'operator.leaderElection.enabled=false'], 'needs operator.leaderElection.enabled=true'],
    [['--set', 'metrics.serviceMonitor.enabled=true'], 'needs metrics.service.enabled=true'],
    [
      ['--set', 'metrics.service.enabled=true', '--set', 'metrics.serviceMonitor.enabled=true'],
      'does not serve monitoring.coreos.com/v1',
    ],
    [['--set', 'operator.serviceAccount.create=false'], "needs the operator's own ServiceAccount"],
    [['--set', 'metrics.service.enabled=true'], 'agent.listenAddress is a loopback address'],
    [['--set', 'agent.listenAddress=localhost'], 'listenAddress'],
    [['--set', 'operator.healthPort=8080'], 'must differ'],
    [['--set', 'agent.bogus=1'], "additional properties 'bogus' not allowed"],
    [['--set', 'agent.kubeletRootDir=relative/path'], 'kubeletRootDir'],
    [['--set', 'operator.logLevel=loud'], 'logLevel'],
    [
      ['--set-json', 'admissionPolicy.validationActions=["Deny","Warn"]'],
      'Deny and Warn cannot be used together',
    ],
  ])('rejects %j with a message', (args, message) => {
    const r = run(helmBin, ['template', 'knd', chart, ...args]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('grants resourceclaims/driver associated-node verbs for knd.dev whatever version helm sees', () => {
    const role = (kubeVersion: string): string =>
      must(helmBin, [
        'template',
        'knd',
        chart,
        '--kube-version',
        kubeVersion,
        '--show-only',
        'templates/agent-clusterrole.yaml',
      ]);
    for (const v of ['1.35.4', '1.36.0', '1.37.2']) {
      const r = role(v);
      expect(r).toContain('resources: ["resourceclaims/driver"]');
      expect(r).toContain('resourceNames: ["knd.dev"]');
      expect(r).toContain('verbs: ["associated-node:update", "associated-node:patch"]');
    }
  });
});

describe('charts/knd on the real control plane', () => {
  const ns = uniqueName('knd-chart');
  const release = uniqueName('knd-t');
  const nodeA = uniqueName('knd-chart-node-a');
  const nodeB = uniqueName('knd-chart-node-b');
  let installed = false;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  afterAll(async () => {
    if (installed) helm(['uninstall', release, '-n', ns, '--wait', '--timeout', '60s']);
    const resource = kc.makeApiClient(ResourceV1Api);
    for (const node of [nodeA, nodeB]) {
      await resource
        .deleteCollectionResourceSlice({ fieldSelector: `spec.nodeName=${node}` })
        .catch(() => undefined);
      await core.deleteNode({ name: node }).catch(() => undefined);
    }
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('helm template output (with CRDs) passes a server-side dry-run apply', () => {
    const manifests = must(helmBin, [
      'template',
      release,
      chart,
      '--namespace',
      ns,
      '--include-crds',
      // hooks (helm test, uninstall) reference objects that exist only while their hook runs
      '--no-hooks',
      '--kube-version',
      serverVersion,
      '--set',
      'metrics.service.enabled=true',
      '--set',
      'agent.listenAddress=hostIP',
    ]);
    const kinds = [...manifests.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'CustomResourceDefinition',
        'Deployment',
        'DaemonSet',
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicyBinding',
        'ClusterRole',
        'Role',
        'Service',
      ]),
    );
    const out = kubectl(
      [
        'apply',
        '--server-side',
        '--force-conflicts',
        '--field-manager',
        'knd-chart-test',
        '--dry-run=server',
        '-f',
        '-',
      ],
      manifests,
    );
    const applied = out.split('\n').filter((l) => l.includes('(server dry run)'));
    expect(applied).toHaveLength(kinds.length);
  });

  it('installs with helm and its policy rejects a ResourceSlice for another node', async () => {
    for (const name of [nodeA, nodeB]) {
      await core.createNode({ body: { metadata: { name, labels: { 'knd.dev/chart-test': ns } } } });
    }
    // a real install; no agent or operator pod is wanted on this control plane without kubelets
    const r = helm([
      'install',
      release,
      chart,
      '--namespace',
      ns,
      '--set',
      'operator.replicas=0',
      // the uninstall hooks run pods; this control-plane tier has no node for them (the real-node
      // suites test them: test/e2e-workflow/helm-day2.test.ts)
      '--set',
      'uninstallHooks.enabled=false',
      '--set-json',
      'agent.nodeSelector={"knd.dev/chart-test":"no-such-node"}',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    installed = true;
    expect(r.stdout).toContain('kubectl get resourceslices --field-selector spec.driver=knd.dev'); // NOTES.txt

    const sa = `${release}-agent`;
    const tokenFor = (node?: string): string =>
      kubectl([
        'create',
        'token',
        sa,
        '-n',
        ns,
        '--duration',
        '10m',
        ...(node ? ['--bound-object-kind', 'Node', '--bound-object-name', node] : []),
      ]).trim();
    const asAgent = (token: string): ResourceV1Api => resourceApiWithToken(token);
    const slice = (node: string, driver = 'knd.dev') => ({
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceSlice',
      metadata: { generateName: `${node}-` },
      spec: {
        driver,
        nodeName: node,
        pool: { name: node, generation: 1, resourceSliceCount: 1 },
        devices: [{ name: 'eth1' }],
      },
    });

    const agentA = asAgent(tokenFor(nodeA));
    // the apiserver loads new policies asynchronously: wait until it enforces this one
    const denied = await waitFor(
      'the ValidatingAdmissionPolicy to reject a slice for another node',
      async () => {
        try {
          const created = await agentA.createResourceSlice({ body: slice(nodeB) });
          await kc
            .makeApiClient(ResourceV1Api)
            .deleteResourceSlice({ name: created.metadata?.name ?? '' })
            .catch(() => undefined);
          return undefined;
        } catch (e) {
          const t = errorText(e);
          return t.includes('ValidatingAdmissionPolicy') ? t : undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(denied).toContain('403');
    expect(denied).toContain(
      `the knd agent on node ${nodeA} may only write ResourceSlices whose spec.nodeName is ${nodeA}, not ${nodeB}`,
    );

    // its own node: allowed (RBAC + policy)
    const own = await agentA.createResourceSlice({ body: slice(nodeA) });
    expect(own.spec.nodeName).toBe(nodeA);

    // moving its own slice to another node: rejected (spec.nodeName is immutable in the API itself,
    // so validation answers before the policy; the policy's UPDATE check covers the old object too)
    const moved = { ...own, spec: { ...own.spec, nodeName: nodeB, pool: { ...own.spec.pool, name: nodeB } } };
    const moveErr = await agentA
      .replaceResourceSlice({ name: own.metadata?.name ?? '', body: moved })
      .then(() => 'accepted', errorText);
    expect(moveErr).toMatch(/field is immutable|may only write ResourceSlices whose spec.nodeName is/);

    // another driver's slice on its own node: denied
    const otherDriver = await agentA
      .createResourceSlice({ body: slice(nodeA, 'gpu.example.com') })
      .then(() => 'accepted', errorText);
    expect(otherDriver).toContain('may only write ResourceSlices of driver knd.dev, not gpu.example.com');

    // deleting another node's slice (created by an admin): denied
    const foreign = await kc.makeApiClient(ResourceV1Api).createResourceSlice({ body: slice(nodeB) });
    const delErr = await agentA
      .deleteResourceSlice({ name: foreign.metadata?.name ?? '' })
      .then(() => 'accepted', errorText);
    expect(delErr).toContain(`not ${nodeB}`);

    // a token without a node binding carries no node name: denied even for a plausible node
    const unbound = await asAgent(tokenFor())
      .createResourceSlice({ body: slice(nodeA) })
      .then(() => 'accepted', errorText);
    expect(unbound).toContain('carry no node name');

    // other users are not matched by the policy: the admin writes slices for any node
    expect(foreign.spec.nodeName).toBe(nodeB);
  });

  it("its policy lets the agent create and delete only its own node's IPAllocations", async () => {
    expect(installed).toBe(true);
    const token = kubectl([
      'create',
      'token',
      `${release}-agent`,
      '-n',
      ns,
      '--duration',
      '10m',
      '--bound-object-kind',
      'Node',
      '--bound-object-name',
      nodeA,
    ]).trim();
    const asAgent = customObjectsWithToken(token);
    const asAdmin = kc.makeApiClient(CustomObjectsApi);
    const group = { group: 'knd.dev', version: 'v1alpha1', plural: 'ipallocations' };
    const suffix = Math.floor(Math.random() * 200) + 10;
    const allocation = (node: string, last: number) => ({
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'IPAllocation',
      metadata: { name: `chart-policy.v4-192-0-2-${String(last)}` },
      spec: {
        pool: 'chart-policy',
        family: 'IPv4',
        address: `192.0.2.${String(last)}`,
        prefixLength: 24,
        claim: { namespace: ns, name: 'c', uid: `uid-${String(last)}` },
        device: 'eth1',
        nodeName: node,
      },
    });
    const names: string[] = [];
    try {
      // another node's address: denied (wait until the apiserver enforces the new policy)
      const denied = await waitFor(
        'the ValidatingAdmissionPolicy to reject an IPAllocation for another node',
        async () => {
          const body = allocation(nodeB, suffix);
          try {
            await asAgent.createClusterCustomObject({ ...group, body });
            await asAdmin
              .deleteClusterCustomObject({ ...group, name: body.metadata.name })
              .catch(() => undefined);
            return undefined;
          } catch (e) {
            const t = errorText(e);
            return t.includes('ValidatingAdmissionPolicy') ? t : undefined;
          }
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(denied).toContain('403');
      expect(denied).toContain(
        `the knd agent on node ${nodeA} may only write IPAllocations whose spec.nodeName is ${nodeA}, not ${nodeB}`,
      );
      // its own node: allowed, and it may release it
      const own = allocation(nodeA, suffix + 1);
      names.push(own.metadata.name);
      await asAgent.createClusterCustomObject({ ...group, body: own });
      await asAgent.deleteClusterCustomObject({ ...group, name: own.metadata.name });
      // another node's allocation (made by an admin): the agent may not free it
      const foreign = allocation(nodeB, suffix + 2);
      names.push(foreign.metadata.name);
      await asAdmin.createClusterCustomObject({ ...group, body: foreign });
      const delErr = await asAgent
        .deleteClusterCustomObject({ ...group, name: foreign.metadata.name })
        .then(() => 'accepted', errorText);
      expect(delErr).toContain(`not ${nodeB}`);
    } finally {
      for (const name of names)
        await asAdmin.deleteClusterCustomObject({ ...group, name }).catch(() => undefined);
    }
  });

  it('its policy lets the operator write only DeviceClasses and templates labelled as knd-generated', async () => {
    expect(installed).toBe(true);
    const token = kubectl(['create', 'token', `${release}-operator`, '-n', ns, '--duration', '10m']).trim();
    const asOperator = resourceApiWithToken(token);
    const asAdmin = kc.makeApiClient(ResourceV1Api);
    const managed = { 'app.kubernetes.io/managed-by': 'knd-operator' };
    const foreignName = uniqueName('foreign-class');
    const ownName = uniqueName('own-class');
    try {
      // an object without knd's label: denied (wait until the apiserver enforces the new policy)
      const denied = await waitFor(
        'the ValidatingAdmissionPolicy to reject an unlabelled DeviceClass from the operator',
        async () => {
          try {
            await asOperator.createDeviceClass({ body: { metadata: { name: foreignName }, spec: {} } });
            await asAdmin.deleteDeviceClass({ name: foreignName }).catch(() => undefined);
            return undefined;
          } catch (e) {
            const t = errorText(e);
            return t.includes('ValidatingAdmissionPolicy') ? t : undefined;
          }
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(denied).toContain('403');
      expect(denied).toContain(
        `the knd operator may only write deviceclasses labelled app.kubernetes.io/managed-by=knd-operator; ${foreignName}`,
      );

      // its own kind of object: allowed, and it may change and delete it
      const own = await asOperator.createDeviceClass({
        body: { metadata: { name: ownName, labels: managed }, spec: {} },
      });
      expect(own.metadata?.labels).toEqual(managed);

      // another team's DeviceClass (made by the admin): the operator can neither take it over nor delete it
      await asAdmin.createDeviceClass({ body: { metadata: { name: foreignName }, spec: {} } });
      const foreign = await asAdmin.readDeviceClass({ name: foreignName });
      const takeOver = await asOperator
        .replaceDeviceClass({
          name: foreignName,
          body: { ...foreign, metadata: { ...foreign.metadata, labels: managed } },
        })
        .then(() => 'accepted', errorText);
      expect(takeOver).toContain('may only write deviceclasses labelled');
      const del = await asOperator.deleteDeviceClass({ name: foreignName }).then(() => 'accepted', errorText);
      expect(del).toContain('may only write deviceclasses labelled');
      await asOperator.deleteDeviceClass({ name: ownName });

      // a team's own ResourceClaimTemplate: the same rule
      const rct = await asOperator
        .createNamespacedResourceClaimTemplate({
          namespace: ns,
          body: { metadata: { name: 'team-owned' }, spec: { spec: { devices: { requests: [] } } } },
        })
        .then(() => 'accepted', errorText);
      expect(rct).toContain('may only write resourceclaimtemplates labelled');
    } finally {
      await asAdmin.deleteDeviceClass({ name: foreignName }).catch(() => undefined);
      await asAdmin.deleteDeviceClass({ name: ownName }).catch(() => undefined);
    }
  });
});
