import { describe, it, expect } from '@jest/globals';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../../lib/api/network-profile.js';
import { resourceOfPath } from '../../../lib/kube/rest-client.js';
import { DeviceMatcher } from '../match/device-matcher.js';
import { effectiveSlices } from '../match/effective-slices.js';
import { renderClaimTemplate } from '../render/claim-template.js';
import { renderDeviceClass } from '../render/device-class.js';
import { readyCondition, statusChanged } from '../status/conditions.js';
import { decideDeviceClass } from './device-class-decision.js';
import { drift, type LiveObject } from './ownership.js';
import { decideProfile, type ProfileInputs } from './profile-decision.js';

const m = new DeviceMatcher();
const ndc = (spec: NetworkDeviceClass['spec'], uid = 'u1'): NetworkDeviceClass => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name: 'nics', uid, generation: 1 },
  spec,
});
const prof = (spec: NetworkProfile['spec'], uid = 'p1'): NetworkProfile => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkProfile',
  metadata: { name: 'web', namespace: 'team', uid, generation: 3 },
  spec,
});
const slices = [
  {
    spec: {
      driver: 'knd.dev',
      nodeName: 'n1',
      pool: { name: 'n1', generation: 2 },
      devices: [
        { name: 'a', attributes: { rdma: { bool: true }, numaNode: { int: 0 } } },
        { name: 'b', attributes: { rdma: { bool: false }, numaNode: { int: 1 } } },
      ],
    },
  },
  {
    spec: {
      driver: 'knd.dev',
      nodeName: 'n2',
      pool: { name: 'n2', generation: 1 },
      devices: [{ name: 'c', attributes: { rdma: { bool: true }, numaNode: { int: 1 } } }],
    },
  },
];
const asLive = (o: { metadata: object; spec: unknown }): LiveObject =>
  JSON.parse(JSON.stringify(o)) as LiveObject;

describe('decideDeviceClass', () => {
  it.each<[string, NetworkDeviceClass, LiveObject | undefined, string, string, number]>([
    ['absent -> create', ndc({ selector: { rdma: true } }), undefined, 'create', 'Reconciled', 2],
    [
      'identical -> nothing',
      ndc({ selector: { rdma: true } }),
      asLive(renderDeviceClass(ndc({ selector: { rdma: true } }))),
      'none',
      'Reconciled',
      2,
    ],
    [
      'hand-edited spec -> apply',
      ndc({ selector: { rdma: true } }),
      asLive(renderDeviceClass(ndc({ selector: { rdma: false } }))),
      'apply',
      'Reconciled',
      2,
    ],
    [
      'foreign object -> conflict, no write',
      ndc({}),
      asLive({ metadata: { name: 'nics' }, spec: {} }),
      'none',
      'DeviceClassConflict',
      3,
    ],
    [
      'owned by an older CR of the same name -> conflict',
      ndc({}),
      asLive(renderDeviceClass(ndc({}, 'old'))),
      'none',
      'DeviceClassConflict',
      3,
    ],
    [
      'CEL syntax error -> InvalidSelector, no write',
      ndc({ cel: ['device.driver =='] }),
      undefined,
      'none',
      'InvalidSelector',
      0,
    ],
    [
      'bad config -> InvalidConfig',
      ndc({ config: { interface: { mtu: 1 } } }),
      undefined,
      'none',
      'InvalidConfig',
      0,
    ],
  ])('%s', (_n, cr, live, action, reason, devices) => {
    const p = decideDeviceClass(cr, live, slices, m);
    expect(p.action.kind).toBe(action);
    expect(p.ready.reason).toBe(reason);
    expect(p.counts.devices).toBe(devices);
  });

  it('carries the taint status of the class expressions when asked (also on a conflict)', () => {
    const seen: string[][] = [];
    const taints = (exprs: readonly string[]) => {
      seen.push([...exprs]);
      return { taintedDevices: 1, unsupportedNodes: [] };
    };
    expect(decideDeviceClass(ndc({ selector: { rdma: true } }), undefined, slices, m, taints).taints).toEqual(
      {
        taintedDevices: 1,
        unsupportedNodes: [],
      },
    );
    expect(
      decideDeviceClass(ndc({}), asLive({ metadata: { name: 'nics' }, spec: {} }), slices, m, taints).taints,
    ).toBeDefined();
    expect(seen[0]?.[1]).toContain('rdma');
  });
});

describe('decideProfile', () => {
  const cls = ndc({ selector: { rdma: true } });
  const base: Omit<ProfileInputs, 'profile'> = {
    networkClass: cls,
    deviceClassExists: (n: string) => n === 'gpu.nvidia.com',
    liveTemplate: undefined,
    slices,
    matcher: m,
  };
  it.each<[string, NetworkProfile, Partial<Omit<ProfileInputs, 'profile'>>, string, string]>([
    ['absent -> create', prof({ deviceClassName: 'nics' }), {}, 'create', 'Reconciled'],
    [
      'class missing -> ClassNotFound',
      prof({ deviceClassName: 'nics' }),
      { networkClass: undefined },
      'none',
      'ClassNotFound',
    ],
    [
      'alignment class missing -> ClassNotFound',
      prof({ deviceClassName: 'nics', alignment: { deviceClassName: 'tpu' } }),
      {},
      'none',
      'ClassNotFound',
    ],
    [
      'alignment class present -> create',
      prof({ deviceClassName: 'nics', alignment: { deviceClassName: 'gpu.nvidia.com' } }),
      {},
      'create',
      'Reconciled',
    ],
    [
      'identical (apiserver adds metadata: {}) -> nothing',
      prof({ deviceClassName: 'nics' }),
      {
        liveTemplate: (() => {
          const o = asLive(renderClaimTemplate(prof({ deviceClassName: 'nics' })));
          (o.spec as { metadata?: object }).metadata = {};
          return o;
        })(),
      },
      'none',
      'Reconciled',
    ],
    [
      'spec changed -> replace (immutable)',
      prof({ deviceClassName: 'nics', count: 2 }),
      { liveTemplate: asLive(renderClaimTemplate(prof({ deviceClassName: 'nics' }))) },
      'replace',
      'Reconciled',
    ],
    [
      'label removed -> apply',
      prof({ deviceClassName: 'nics' }),
      {
        liveTemplate: (() => {
          const o = asLive(renderClaimTemplate(prof({ deviceClassName: 'nics' })));
          o.metadata.labels = {};
          return o;
        })(),
      },
      'apply',
      'Reconciled',
    ],
    [
      'foreign template -> TemplateConflict',
      prof({ deviceClassName: 'nics' }),
      { liveTemplate: asLive({ metadata: { name: 'web' }, spec: {} }) },
      'none',
      'TemplateConflict',
    ],
    [
      'count with All -> InvalidSpec',
      prof({ deviceClassName: 'nics', count: 1, allocationMode: 'All' }),
      {},
      'none',
      'InvalidSpec',
    ],
    [
      'a share of a class that is not shared -> InvalidSpec',
      prof({ deviceClassName: 'nics', share: { bandwidthMbps: 100 } }),
      {},
      'none',
      'InvalidSpec',
    ],
    [
      'a share of a shared class -> create',
      prof({ deviceClassName: 'nics', share: { bandwidthMbps: 100 } }),
      { networkClass: ndc({ selector: { interfaceNames: ['eth*'] }, shared: { maxChildren: 8 } }) },
      'create',
      'Reconciled',
    ],
    [
      'bad selector -> InvalidSelector',
      prof({ deviceClassName: 'nics', selectors: ['((('] }),
      {},
      'none',
      'InvalidSelector',
    ],
  ])('%s', (_n, p, over, action, reason) => {
    const decision = decideProfile({ ...base, ...over, profile: p });
    expect(decision.action.kind).toBe(action);
    expect(decision.ready.reason).toBe(reason);
  });

  it('counts devices matching class AND profile selectors', () => {
    const decision = decideProfile({
      ...base,
      profile: prof({ deviceClassName: 'nics', selectors: ['device.attributes["knd.dev"].numaNode == 1'] }),
    });
    expect(decision.counts).toEqual({ devices: 1, nodes: 1 });
  });
});

describe('status', () => {
  const prev = [
    { type: 'Ready', status: 'True' as const, reason: 'Reconciled', message: 'x', lastTransitionTime: 'T0' },
  ];
  it('keeps lastTransitionTime while the status does not flip', () => {
    expect(
      readyCondition({ ready: true, reason: 'Reconciled', message: 'y' }, 2, prev, 'T1').lastTransitionTime,
    ).toBe('T0');
    expect(
      readyCondition({ ready: false, reason: 'ClassNotFound', message: 'y' }, 2, prev, 'T1')
        .lastTransitionTime,
    ).toBe('T1');
  });
  it('statusChanged ignores key order', () => {
    expect(statusChanged({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(false);
    expect(statusChanged({ a: 1 }, { a: 2 })).toBe(true);
    expect(statusChanged(undefined, {})).toBe(false);
  });
  it('drift ignores extra labels but not a missing owner', () => {
    const d = renderDeviceClass(ndc({}));
    const live = asLive(d);
    live.metadata.labels = { ...live.metadata.labels, extra: 'x' };
    expect(drift(d, live)).toBe('none');
    live.metadata.ownerReferences = [];
    expect(drift(d, live)).toBe('metadata');
  });
});

describe('helpers', () => {
  it.each([
    ['/apis/knd.dev/v1alpha1/namespaces/a/networkprofiles/x/status?fieldManager=y', 'networkprofiles/status'],
    ['/apis/resource.k8s.io/v1/deviceclasses/x', 'deviceclasses'],
    ['/api/v1/namespaces/default/events', 'events'],
    ['/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l', 'leases'],
    ['/api/v1/namespaces/ns1', 'namespaces'],
  ])('resourceOfPath(%s) = %s', (p, r) => {
    expect(resourceOfPath(p)).toBe(r);
  });
  it('countCached evaluates once per expression list and slice version', () => {
    const dm = new DeviceMatcher();
    const exprs = ['device.attributes["knd.dev"].rdma == true'];
    expect(dm.countCached(exprs, slices, 1)).toEqual({ devices: 2, nodes: 2 });
    expect(dm.countCached(exprs, [], 1)).toEqual({ devices: 2, nodes: 2 }); // same version: memo
    expect(dm.countCached(exprs, [], 2)).toEqual({ devices: 0, nodes: 0 }); // new version: recount
  });
  it('effectiveSlices keeps only the newest generation of each pool', () => {
    const s = (pool: string, g: number) => ({
      spec: { driver: 'knd.dev', pool: { name: pool, generation: g } },
    });
    expect(effectiveSlices([s('a', 1), s('a', 2), s('b', 1)])).toEqual([s('a', 2), s('b', 1)]);
  });
});
