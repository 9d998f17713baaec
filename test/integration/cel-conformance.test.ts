// knd's CEL device model (lib/cel/device-model.ts) against the real kube-scheduler. For every
// selector of the corpus (cel-conformance-corpus.ts: the CEL the operator generates plus edge
// cases), knd predicts what an `allocationMode: All` request would get on a fake node holding a
// handful of devices under two drivers of this run's own, and the real scheduler allocates it:
// one ResourceClaim and one Pod per selector, all at once. The requests use adminAccess so every
// claim may take devices another claim holds. Outcomes compared:
// - the set of allocated devices, when at least one device matches and no selector errors;
// - "unschedulable" when nothing matches (All needs at least one device);
// - "error" when a selector fails to evaluate on any device the allocator reaches (the scheduler
//   reports "CEL runtime error" and fails the attempt).
// Any disagreement fails with the selector and both answers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  PatchStrategy,
  ResourceV1Api,
  setHeaderOptions,
  type ResourceV1ResourceClaim,
  type V1Device,
  type V1DeviceAttribute,
  type V1Pod,
} from '@kubernetes/client-node';
import { SelectorCache, type SelectorVerdict } from '../../lib/cel/device-model.js';
import {
  createFakeNode,
  createNamespaceReady,
  testKubeConfig,
  uniqueName,
  waitFor,
} from '../support/kube.js';
import {
  CORPUS,
  DEVICES,
  substitute,
  type CorpusDevice,
  type CorpusEntry,
} from './cel-conformance-corpus.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

const run = uniqueName('celc');
const ns = run;
const node = `${run}-node`;
const className = `${run}-class`;
const driverA = `a.${run}.knd.test`;
const driverB = `b.${run}.knd.test`;
const drivers = { A: driverA, B: driverB };
const sliceOf = (d: 'A' | 'B'): string => `${run}-${d.toLowerCase()}`;
/** Only this run's devices pass the class, so no other driver's device is ever evaluated. */
const CLASS_PIN = `device.driver in ["${driverA}", "${driverB}"]`;

type Outcome = { kind: 'allocated'; devices: string[] } | { kind: 'unschedulable' } | { kind: 'error' };

const show = (o: Outcome): string =>
  o.kind === 'allocated' ? `allocated [${o.devices.join(', ')}]` : o.kind;

/** knd's answer: every device of the node, in slice order, as the allocator walks them. */
function predict(selectors: readonly string[]): {
  outcome: Outcome;
  verdicts: Record<string, SelectorVerdict>;
} {
  const cache = new SelectorCache();
  const verdicts: Record<string, SelectorVerdict> = {};
  for (const d of DEVICES) {
    const device = {
      ...d,
      attributes: Object.fromEntries(
        Object.entries(d.attributes ?? {}).map(([k, v]) => [substitute(k, driverA, driverB), v]),
      ),
      capacity: d.capacity ?? {},
    };
    verdicts[d.name] = cache.evaluate([CLASS_PIN, ...selectors], drivers[d.driver], device);
  }
  const all = Object.entries(verdicts);
  if (all.some(([, v]) => v.kind === 'error')) return { outcome: { kind: 'error' }, verdicts };
  const devices = all.filter(([, v]) => v.kind === 'match').map(([n]) => n);
  return {
    outcome: devices.length > 0 ? { kind: 'allocated', devices } : { kind: 'unschedulable' },
    verdicts,
  };
}

/** The device as client-node serializes it (its model spells the int field `_int`). */
function toV1Device(d: CorpusDevice): V1Device {
  const attributes: Record<string, V1DeviceAttribute> = {};
  for (const [k, v] of Object.entries(d.attributes ?? {})) {
    const name = substitute(k, driverA, driverB);
    if (v.int !== undefined) attributes[name] = { _int: Number(v.int) };
    else if (v.bool !== undefined) attributes[name] = { bool: v.bool };
    else if (v.string !== undefined) attributes[name] = { string: v.string };
    else if (v.version !== undefined) attributes[name] = { version: v.version };
  }
  const capacity = Object.fromEntries(
    Object.entries(d.capacity ?? {}).map(([k, v]) => [k, { value: v.value ?? '' }]),
  );
  return { name: d.name, attributes, capacity };
}

interface Case {
  entry: CorpusEntry;
  selectors: string[];
  claim: string;
  pod: string;
}

const cases: Case[] = CORPUS.map((entry, i) => ({
  entry,
  selectors: entry.selectors.map((x) => substitute(x, driverA, driverB)),
  claim: `c${i}`,
  pod: `p${i}`,
}));
const observed = new Map<string, Outcome>();

function claimBody(name: string, selectors: readonly string[]): ResourceV1ResourceClaim {
  return {
    metadata: { name },
    spec: {
      devices: {
        requests: [
          {
            name: 'r',
            exactly: {
              deviceClassName: className,
              allocationMode: 'All',
              adminAccess: true,
              selectors: selectors.map((expression) => ({ cel: { expression } })),
            },
          },
        ],
      },
    },
  };
}

function podBody(name: string, claim: string): V1Pod {
  return {
    metadata: { name },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      resourceClaims: [{ name: 'c', resourceClaimName: claim }],
      containers: [{ name: 'c', image: 'localhost/busybox:local', resources: { claims: [{ name: 'c' }] } }],
    },
  };
}

/** The scheduler's answer for one claim/pod, or undefined while it has not decided. */
function outcomeOf(claim: ResourceV1ResourceClaim | undefined, pod: V1Pod | undefined): Outcome | undefined {
  const results = claim?.status?.allocation?.devices?.results;
  if (results) {
    const byDriver = new Map(Object.entries(drivers).map(([k, v]) => [v, k]));
    const names = results.map((r) => {
      if (!byDriver.has(r.driver)) throw new Error(`claim got a foreign device ${r.driver}/${r.device}`);
      return r.device;
    });
    return { kind: 'allocated', devices: names.sort() };
  }
  const cond = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const msg = cond?.message ?? '';
  if (msg.includes('CEL runtime error')) return { kind: 'error' };
  if (msg.includes('cannot allocate all claims')) return { kind: 'unschedulable' };
  return undefined;
}

describe('CEL conformance: knd device model vs the real kube-scheduler', () => {
  beforeAll(async () => {
    const started = Date.now();
    await createNamespaceReady(kc, ns);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await core.patchNamespace(
      { name: ns, body: { metadata: { labels: { 'resource.kubernetes.io/admin-access': 'true' } } } },
      merge,
    );
    await createFakeNode(core, node);
    await resource.createDeviceClass({
      body: { metadata: { name: className }, spec: { selectors: [{ cel: { expression: CLASS_PIN } }] } },
    });
    for (const d of ['A', 'B'] as const) {
      await resource.createResourceSlice({
        body: {
          metadata: { name: sliceOf(d) },
          spec: {
            driver: drivers[d],
            nodeName: node,
            pool: { name: run, generation: 1, resourceSliceCount: 1 },
            devices: DEVICES.filter((x) => x.driver === d).map(toV1Device),
          },
        },
      });
    }
    // a canary claim over every device proves the scheduler sees the class and both slices before
    // "nothing matches" answers are trusted
    await resource.createNamespacedResourceClaim({ namespace: ns, body: claimBody('canary', ['true']) });
    await core.createNamespacedPod({ namespace: ns, body: podBody('canary', 'canary') });
    await waitFor('the canary claim to get every device', async () => {
      const c = await resource.readNamespacedResourceClaim({ name: 'canary', namespace: ns });
      return c.status?.allocation?.devices?.results?.length === DEVICES.length ? true : undefined;
    });

    await Promise.all(
      cases.map((c) =>
        resource.createNamespacedResourceClaim({ namespace: ns, body: claimBody(c.claim, c.selectors) }),
      ),
    );
    await Promise.all(
      cases.map((c) => core.createNamespacedPod({ namespace: ns, body: podBody(c.pod, c.claim) })),
    );
    await waitFor(
      'the scheduler to decide every claim',
      async () => {
        const [claims, pods] = await Promise.all([
          resource.listNamespacedResourceClaim({ namespace: ns }),
          core.listNamespacedPod({ namespace: ns }),
        ]);
        for (const c of cases) {
          if (observed.has(c.claim)) continue;
          const o = outcomeOf(
            claims.items.find((x) => x.metadata?.name === c.claim),
            pods.items.find((x) => x.metadata?.name === c.pod),
          );
          if (o) observed.set(c.claim, o);
        }
        return observed.size === cases.length ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((e: unknown) => {
      const pending = cases.filter((c) => !observed.has(c.claim)).map((c) => c.entry.name);
      throw new Error(`${(e as Error).message}; undecided: ${pending.join('; ')}`);
    });
    const tally: Record<string, number> = {};
    for (const o of observed.values()) tally[o.kind] = (tally[o.kind] ?? 0) + 1;
    process.stdout.write(
      `cel-conformance: ${cases.length} selectors decided in ${Date.now() - started} ms ${JSON.stringify(tally)}\n`,
    );
  });

  afterAll(async () => {
    const pods = await core.listNamespacedPod({ namespace: ns }).catch(() => ({ items: [] as V1Pod[] }));
    await Promise.all(
      pods.items.map((p) =>
        core
          .deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace: ns, gracePeriodSeconds: 0 })
          .catch(() => undefined),
      ),
    );
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    for (const d of ['A', 'B'] as const)
      await resource.deleteResourceSlice({ name: sliceOf(d) }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
  });

  it('the corpus exercises every outcome', () => {
    const kinds = new Set(cases.map((c) => predict(c.selectors).outcome.kind));
    expect([...kinds].sort()).toEqual(['allocated', 'error', 'unschedulable']);
  });

  it.each(cases.map((c) => [c.entry.name, c] as const))('%s', (_name, c) => {
    const { outcome, verdicts } = predict(c.selectors);
    const real = observed.get(c.claim);
    if (!real || show(real) !== show(outcome)) {
      const per = Object.entries(verdicts)
        .map(([d, v]) => `${d}: ${v.kind}${v.kind === 'error' ? ` (${v.message})` : ''}`)
        .join(', ');
      throw new Error(
        `selectors ${JSON.stringify(c.selectors)}\n  knd:       ${show(outcome)} (${per})\n  scheduler: ${real ? show(real) : 'no answer'}`,
      );
    }
    expect(show(real)).toBe(show(outcome));
  });
});
