// The operator against the real control plane: CRDs served, admission validation with field paths,
// examples reconcile to what `knd render` prints, Ready=False for what only the operator can check,
// hand edits reverted, foreign objects never overwritten, GC on delete, and zero writes when there is
// nothing to change.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiError, WRITE_VERBS, type KubeRestClient } from '../../lib/kube/rest-client.js';
import { renderDocuments } from '../../operator/src/render/render-documents.js';
import {
  adminClient,
  deleteIfExists,
  ensureNamespace,
  exampleDocuments,
  inProcessOperator,
  installCrds,
  repoRoot,
  uniq,
  waitFor,
  type CountedOperator,
} from './operator-harness.js';

const G = '/apis/knd.dev/v1alpha1';
const R = '/apis/resource.k8s.io/v1';
interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
  };
  spec?: unknown;
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    matchedDevices?: number;
  };
}

let c: KubeRestClient;
let op: CountedOperator;
const ns = uniq('knd-op');

const ndc = (name: string, spec: unknown) => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name },
  spec,
});
const profile = (name: string, spec: unknown, namespace = ns) => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkProfile',
  metadata: { name, namespace },
  spec,
});

async function ready(path: string): Promise<Obj> {
  const o = await c.get<Obj>(path);
  return o.status?.conditions?.find((x) => x.type === 'Ready') ? o : (undefined as unknown as Obj);
}
const readyCond = (o: Obj) => o.status?.conditions?.find((x) => x.type === 'Ready');

beforeAll(async () => {
  c = adminClient();
  await installCrds(c);
  await ensureNamespace(c, ns);
  op = await inProcessOperator();
  await waitFor('operator leads and synced', () => Promise.resolve(op.isLeader && op.hasSynced));
});

afterAll(async () => {
  await op?.stop();
  await deleteIfExists(c, `/api/v1/namespaces/${ns}`);
});

describe('CRDs', () => {
  it('are served with their short names and printer columns', async () => {
    const res = await c.get<{ resources: { name: string; shortNames?: string[]; namespaced: boolean }[] }>(G);
    const byName = new Map(res.resources.map((r) => [r.name, r]));
    expect(byName.get('networkdeviceclasses')).toMatchObject({ shortNames: ['ndc'], namespaced: false });
    expect(byName.get('networkprofiles')).toMatchObject({ shortNames: ['netprof'], namespaced: true });
  });

  it.each([
    [
      'count with All',
      profile('bad1', { deviceClassName: 'x', count: 2, allocationMode: 'All' }),
      'spec.count',
    ],
    ['bad vendor', ndc(uniq('bad'), { selector: { vendors: ['15b3'] } }), 'spec.selector.vendors[0]'],
    ['bad sriovRole', ndc(uniq('bad'), { selector: { sriovRole: 'both' } }), 'spec.selector.sriovRole'],
    [
      'route without gateway',
      profile('bad2', { deviceClassName: 'x', config: { routes: [{ destination: '10.0.0.0/8' }] } }),
      'spec.config.routes[0].gateway',
    ],
    [
      'bad CIDR',
      profile('bad3', { deviceClassName: 'x', config: { interface: { addresses: ['10.0.0.1'] } } }),
      'spec.config.interface.addresses[0]',
    ],
    ['missing class', profile('bad4', {}), 'spec.deviceClassName'],
  ])('admission rejects %s with the field path', async (_n, obj, path) => {
    const url =
      obj.kind === 'NetworkProfile' ? `${G}/namespaces/${ns}/networkprofiles` : `${G}/networkdeviceclasses`;
    const err = await c.create(`${url}?fieldValidation=Strict`, obj).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).statusCode).toBe(422);
    expect((err as KubeApiError).message).toContain(path);
  });

  it('rejects unknown fields in spec.config (strict field validation)', async () => {
    const err = await c
      .create(
        `${G}/namespaces/${ns}/networkprofiles?fieldValidation=Strict`,
        profile('bad5', { deviceClassName: 'x', config: { interface: { nmae: 'x' } } }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as KubeApiError).message).toContain('spec.config.interface.nmae');
  });
});

describe('examples/', () => {
  const files = readdirSync(join(repoRoot, 'examples'), { recursive: true, encoding: 'utf8' })
    .map((f) => join('examples', f))
    .filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('kustomization.yaml'));
  const docs = exampleDocuments(files).filter(
    (d) => d.doc['kind'] === 'NetworkDeviceClass' || d.doc['kind'] === 'NetworkProfile',
  );
  const exNs = uniq('knd-ex');

  afterAll(async () => {
    for (const { doc } of docs) {
      const name = (doc['metadata'] as { name: string }).name;
      if (doc['kind'] === 'NetworkDeviceClass') await deleteIfExists(c, `${G}/networkdeviceclasses/${name}`);
    }
    await deleteIfExists(c, `${R}/deviceclasses/gpu.nvidia.com`);
    await deleteIfExists(c, `/api/v1/namespaces/${exNs}`);
  });

  it('has NetworkDeviceClass and NetworkProfile documents', () => {
    expect(docs.length).toBeGreaterThanOrEqual(2);
  });

  it('every example reconciles to the objects knd render prints', async () => {
    await ensureNamespace(c, exNs);
    // the alignment example needs the GPU driver's DeviceClass
    await c.apply(`${R}/deviceclasses/gpu.nvidia.com`, {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'DeviceClass',
      metadata: { name: 'gpu.nvidia.com' },
      spec: { selectors: [{ cel: { expression: 'device.driver == "gpu.nvidia.com"' } }] },
    });
    const placed = docs.map(({ doc }) => {
      const meta = { ...(doc['metadata'] as Record<string, unknown>) };
      if (doc['kind'] === 'NetworkProfile') meta['namespace'] = exNs;
      return { ...doc, kind: String(doc['kind']), metadata: meta };
    });
    // start from a clean slate for the cluster-scoped example names
    for (const d of placed) {
      const m = d.metadata as { name: string };
      if (d.kind !== 'NetworkDeviceClass') continue;
      await deleteIfExists(c, `${G}/networkdeviceclasses/${m.name}`);
      await waitFor(`old ${m.name} gone`, () =>
        c.get(`${G}/networkdeviceclasses/${m.name}`).then(
          () => false,
          () => true,
        ),
      );
    }
    for (const d of placed) {
      const m = d.metadata as { name: string; namespace?: string };
      const url =
        d.kind === 'NetworkProfile'
          ? `${G}/namespaces/${exNs}/networkprofiles/${m.name}`
          : `${G}/networkdeviceclasses/${m.name}`;
      await c.apply(url, d);
    }
    const expected = renderDocuments(placed);
    expect(expected.problems).toEqual([]);
    for (const want of expected.objects) {
      const url =
        want.kind === 'DeviceClass'
          ? `${R}/deviceclasses/${want.metadata.name}`
          : `${R}/namespaces/${exNs}/resourceclaimtemplates/${want.metadata.name}`;
      // key order differs between the apiserver and the renderer: compare sorted, without empty objects
      const strip = (s: unknown) =>
        JSON.stringify(s, (_k, v: unknown) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.keys(v).length === 0
              ? undefined
              : Object.fromEntries(
                  Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
                )
            : v,
        );
      const got = await waitFor(`${want.kind} ${want.metadata.name} as rendered`, async () => {
        const o = await c.get<Obj>(url).catch(() => undefined);
        return o && strip(o.spec) === strip(want.spec) ? o : undefined;
      });
      expect(got.metadata.labels).toMatchObject(want.metadata.labels);
      expect(JSON.parse(strip(got.spec))).toEqual(JSON.parse(strip(want.spec)));
    }
    for (const d of placed) {
      const m = d.metadata as { name: string };
      const url =
        d.kind === 'NetworkProfile'
          ? `${G}/namespaces/${exNs}/networkprofiles/${m.name}`
          : `${G}/networkdeviceclasses/${m.name}`;
      const o = await waitFor(`${m.name} Ready=True`, async () => {
        const x = await c.get<Obj>(url);
        return readyCond(x)?.status === 'True' ? x : undefined;
      });
      expect(readyCond(o)?.reason).toBe('Reconciled');
    }
  });
});

describe('operator-only checks become Ready=False, never a half-written object', () => {
  it('ClassNotFound: profile naming a class that does not exist; no template written', async () => {
    const name = uniq('orphan');
    await c.create(`${G}/namespaces/${ns}/networkprofiles`, profile(name, { deviceClassName: uniq('nope') }));
    const o = await waitFor('status', () => ready(`${G}/namespaces/${ns}/networkprofiles/${name}`));
    expect(readyCond(o)).toMatchObject({ status: 'False', reason: 'ClassNotFound' });
    expect(readyCond(o)?.message).toContain('spec.deviceClassName');
    await expect(c.get(`${R}/namespaces/${ns}/resourceclaimtemplates/${name}`)).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('InvalidSelector: CEL that does not parse (operator) and CEL the apiserver type checker rejects', async () => {
    const a = uniq('celsyntax');
    const b = uniq('celtype');
    await c.create(`${G}/networkdeviceclasses`, ndc(a, { cel: ['device.driver =='] }));
    await c.create(`${G}/networkdeviceclasses`, ndc(b, { cel: ['device.driver == 1'] }));
    try {
      const oa = await waitFor('status a', () => ready(`${G}/networkdeviceclasses/${a}`));
      expect(readyCond(oa)).toMatchObject({ status: 'False', reason: 'InvalidSelector' });
      expect(readyCond(oa)?.message).toContain('spec.cel[0]');
      const ob = await waitFor('status b', () => ready(`${G}/networkdeviceclasses/${b}`));
      expect(readyCond(ob)).toMatchObject({ status: 'False', reason: 'InvalidSelector' });
      for (const n of [a, b])
        await expect(c.get(`${R}/deviceclasses/${n}`)).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await deleteIfExists(c, `${G}/networkdeviceclasses/${a}`);
      await deleteIfExists(c, `${G}/networkdeviceclasses/${b}`);
    }
  });

  it('DeviceClassConflict: an existing DeviceClass not owned by knd is never overwritten', async () => {
    const name = uniq('taken');
    const foreign = await c.create<Obj>(`${R}/deviceclasses`, {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'DeviceClass',
      metadata: { name },
      spec: { selectors: [{ cel: { expression: 'device.driver == "other.example.com"' } }] },
    });
    await c.create(`${G}/networkdeviceclasses`, ndc(name, { selector: { rdma: true } }));
    try {
      const o = await waitFor('status', () => ready(`${G}/networkdeviceclasses/${name}`));
      expect(readyCond(o)).toMatchObject({ status: 'False', reason: 'DeviceClassConflict' });
      const after = await c.get<Obj>(`${R}/deviceclasses/${name}`);
      expect(after.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion);
    } finally {
      await deleteIfExists(c, `${G}/networkdeviceclasses/${name}`);
      await deleteIfExists(c, `${R}/deviceclasses/${name}`);
    }
  });
});

describe('ownership', () => {
  it('reverts hand edits, replaces a template when the profile changes, and GCs on delete', async () => {
    const cls = uniq('own');
    const prof = uniq('own');
    await c.create(`${G}/networkdeviceclasses`, ndc(cls, { selector: { virtual: true } }));
    await c.create(
      `${G}/namespaces/${ns}/networkprofiles`,
      profile(prof, { deviceClassName: cls, count: 1 }),
    );
    const dcUrl = `${R}/deviceclasses/${cls}`;
    const rctUrl = `${R}/namespaces/${ns}/resourceclaimtemplates/${prof}`;
    await waitFor('generated objects', async () => (await c.get(dcUrl)) && (await c.get(rctUrl)));
    // hand edit: drop the selectors of the DeviceClass (another field manager, as kubectl edit would)
    await c.request(
      'patch',
      'PATCH',
      dcUrl,
      { spec: { selectors: [{ cel: { expression: 'true' } }] } },
      'application/merge-patch+json',
    );
    await waitFor('DeviceClass reverted', async () => {
      const o = await c.get<{ spec: { selectors: { cel: { expression: string } }[] } }>(dcUrl);
      return o.spec.selectors[0]?.cel.expression === 'device.driver == "knd.dev"';
    });
    // profile change -> template replaced (its spec is immutable)
    const before = await c.get<Obj>(rctUrl);
    await c.request(
      'patch',
      'PATCH',
      `${G}/namespaces/${ns}/networkprofiles/${prof}`,
      { spec: { count: 2 } },
      'application/merge-patch+json',
    );
    await waitFor('template replaced', async () => {
      const o = await c
        .get<Obj & { spec: { spec: { devices: { requests: { exactly: { count: number } }[] } } } }>(rctUrl)
        .catch(() => undefined);
      return (
        o && o.metadata.uid !== before.metadata.uid && o.spec.spec.devices.requests[0]?.exactly.count === 2
      );
    });
    // delete the CRs -> KCM's garbage collector deletes what they own
    await c.delete(`${G}/namespaces/${ns}/networkprofiles/${prof}`);
    await c.delete(`${G}/networkdeviceclasses/${cls}`);
    await waitFor(
      'GC',
      async () => {
        const gone = async (u: string) =>
          c.get(u).then(
            () => false,
            (e: unknown) => (e as KubeApiError).statusCode === 404,
          );
        return (await gone(dcUrl)) && (await gone(rctUrl));
      },
      60_000,
    );
  });
});

describe('GitOps-clean', () => {
  it('a reconcile with nothing to change issues zero writes and leaves resourceVersions alone', async () => {
    const cls = uniq('noop');
    const names = [uniq('noop'), uniq('noop'), uniq('noop')];
    await c.create(
      `${G}/networkdeviceclasses`,
      ndc(cls, { selector: { rdma: true }, config: { interface: { mtu: 9000 } } }),
    );
    for (const n of names)
      await c.create(
        `${G}/namespaces/${ns}/networkprofiles`,
        profile(n, { deviceClassName: cls, config: { interface: { name: 'net1' } } }),
      );
    const readyAll = async () => {
      for (const n of names)
        if (readyCond(await c.get<Obj>(`${G}/namespaces/${ns}/networkprofiles/${n}`))?.status !== 'True')
          return false;
      return readyCond(await c.get<Obj>(`${G}/networkdeviceclasses/${cls}`))?.status === 'True';
    };
    await waitFor('all ready', readyAll);
    await new Promise((r) => setTimeout(r, 1500)); // let the watch echo of our own writes settle
    const rvs = async () =>
      Promise.all([
        c.get<Obj>(`${R}/deviceclasses/${cls}`),
        ...names.map((n) => c.get<Obj>(`${R}/namespaces/${ns}/resourceclaimtemplates/${n}`)),
        c.get<Obj>(`${G}/networkdeviceclasses/${cls}`),
        ...names.map((n) => c.get<Obj>(`${G}/namespaces/${ns}/networkprofiles/${n}`)),
      ]).then((os) => os.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`));
    const rvBefore = await rvs();
    // writes about this test's objects (the operator watches the whole cluster, where other suites'
    // objects may be reconciled at the same time)
    const ours = (path: string): boolean => [cls, ...names].some((n) => path.includes(`/${n}`));
    const writesBefore = op.requests.filter((r) => WRITE_VERBS.has(r.verb) && ours(r.path)).length;
    // prom-client returns its live value objects: take the number now
    const sum = (m: Awaited<ReturnType<typeof op.metrics.reconciles.get>>) =>
      m.values.reduce((a, v) => a + v.value, 0);
    const reconcilesBefore = sum(await op.metrics.reconciles.get());
    // trigger reconciles of everything without changing a spec: an annotation on each CR
    const touch = (u: string) =>
      c.request(
        'patch',
        'PATCH',
        u,
        { metadata: { annotations: { 'knd.dev/touched': String(Date.now()) } } },
        'application/merge-patch+json',
      );
    await touch(`${G}/networkdeviceclasses/${cls}`);
    for (const n of names) await touch(`${G}/namespaces/${ns}/networkprofiles/${n}`);
    await waitFor(
      'reconciles ran',
      async () => sum(await op.metrics.reconciles.get()) >= reconcilesBefore + 4,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const writesAfter = op.requests.filter((r) => WRITE_VERBS.has(r.verb) && ours(r.path)).length;
    expect(writesAfter - writesBefore).toBe(0);
    const rvAfter = await rvs();
    // generated objects unchanged; the CRs changed only by our annotation patch
    expect(rvAfter.slice(0, 1 + names.length)).toEqual(rvBefore.slice(0, 1 + names.length));
    await c.delete(`${G}/networkdeviceclasses/${cls}`);
  });
});
