// Every manifest under examples/ is accepted by the real kube-apiserver with knd's CRDs installed:
// namespaced objects are created for real in a namespace of this run, cluster-scoped
// NetworkDeviceClasses with a server-side dry-run (other suites and the operator's tests use the same
// names). The object the apiserver returns must still hold every field of the file, so a field the
// CRD schema would silently prune fails here. The gitops-team layout goes through `kubectl kustomize`.
// Reconciliation of these objects is asserted by the operator's suites.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAll } from 'js-yaml';
import { cachedBinary } from '../support/versions.js';
import { uniqueName } from '../support/kube.js';

const root = join(import.meta.dirname, '..', '..');
const kubectlBin = cachedBinary('kube', 'kubectl');
const CLUSTER_SCOPED = new Set(['NetworkDeviceClass', 'IPPool', 'Namespace']);

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: unknown } & Record<
  string,
  unknown
>;

function kubectl(args: readonly string[], input?: string): string {
  const kubeconfig = process.env['KND_KUBECONFIG'];
  if (!kubeconfig) throw new Error('KND_KUBECONFIG is not set: the jest global setup did not run');
  const r = spawnSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Every key/value of `want` is present in `got` (arrays element by element). Returns the first miss. */
function missing(want: unknown, got: unknown, path = ''): string | undefined {
  if (want === undefined) return undefined;
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${path}: array differs`;
    for (const [i, w] of want.entries()) {
      const m = missing(w, got[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object') return `${path}: not an object`;
    for (const [k, w] of Object.entries(want)) {
      const m = missing(w, (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (m) return m;
    }
    return undefined;
  }
  return want === got ? undefined : `${path}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(n) ? [p] : [];
  });
}

const scenarios = ['ip-pool', 'rdma-gpu-aligned', 'secondary-nic', 'sriov-vf'];
const ns = uniqueName('knd-examples');
const created: string[] = [];

/** Create (or dry-run create) one object and check nothing was dropped. */
function createAndCompare(obj: Obj, namespace: string): void {
  const clusterScoped = CLUSTER_SCOPED.has(obj.kind);
  const args = ['create', '-o', 'json', '-f', '-'];
  if (!clusterScoped) args.push('-n', namespace);
  if (obj.kind !== 'Namespace' && clusterScoped) args.push('--dry-run=server');
  const back = JSON.parse(kubectl(args, JSON.stringify(obj))) as Obj;
  if (obj.kind === 'Namespace') created.push(obj.metadata.name);
  expect(back.kind).toBe(obj.kind);
  expect(back.metadata.name).toBe(obj.metadata.name);
  expect(missing(obj.spec, back.spec, 'spec')).toBeUndefined();
}

beforeAll(() => {
  // the same CRDs the chart ships (charts/knd/crds is a generated copy of crds/)
  kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager',
    'knd-examples-test',
    '-f',
    join(root, 'crds'),
  ]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(root, 'crds')]);
  kubectl(['create', 'namespace', ns]);
  created.push(ns);
}, 120_000);

afterAll(() => {
  for (const n of created) kubectl(['delete', 'namespace', n, '--wait=false', '--ignore-not-found']);
});

describe.each(scenarios)('examples/%s', (scenario) => {
  const files = yamlFiles(join(root, 'examples', scenario));
  it('has manifests', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files.map((f) => relative(root, f)))('%s is accepted by the apiserver, field for field', (file) => {
    const docs = loadAll(readFileSync(join(root, file), 'utf8')) as Obj[];
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) createAndCompare(d, ns);
  });
});

describe('examples/gitops-team', () => {
  it('kustomize renders the team layout and every object is accepted', () => {
    const teamNs = uniqueName('knd-team');
    const rendered = kubectl(['kustomize', join(root, 'examples', 'gitops-team')]);
    const docs = (loadAll(rendered) as Obj[]).map(
      (d) => JSON.parse(JSON.stringify(d).replaceAll('"team-a"', JSON.stringify(teamNs))) as Obj,
    );
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['Namespace', 'NetworkDeviceClass', 'NetworkProfile', 'Role', 'RoleBinding'].sort(),
    );
    // kustomize put every namespaced object in the team namespace
    for (const d of docs.filter((x) => !CLUSTER_SCOPED.has(x.kind)))
      expect(d.metadata.namespace).toBe(teamNs);
    // the Namespace first, as kubectl apply -k orders it
    for (const d of [...docs].sort(
      (a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'),
    )) {
      createAndCompare(d, teamNs);
    }
    const profiles = JSON.parse(kubectl(['get', 'networkprofiles', '-n', teamNs, '-o', 'json'])) as {
      items: Obj[];
    };
    expect(profiles.items.map((p) => p.metadata.name)).toEqual(['data-plane']);
  });
});
