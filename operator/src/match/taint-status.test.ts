import { describe, expect, it } from '@jest/globals';
import type { ResourceSliceJson } from '../../../lib/cel/device-model.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';
import { renderClaimTemplate } from '../render/claim-template.js';
import { DeviceMatcher } from './device-matcher.js';
import { deviceTaintsCondition, taintStatus } from './taint-status.js';

const taint = {
  key: 'knd.dev/unhealthy',
  value: 'NoCarrier',
  effect: 'NoSchedule',
  timeAdded: '2026-12-07T10:00:00Z',
};
const slice = (node: string, devices: object[], labels?: Record<string, string>): ResourceSliceJson =>
  ({
    metadata: { name: `${node}-knd.dev-0`, ...(labels ? { labels } : {}) },
    spec: { driver: 'knd.dev', nodeName: node, pool: { name: node, generation: 1 }, devices },
  }) as ResourceSliceJson;
const rdma = (v: boolean) => ({ 'knd.dev/rdma': { bool: v } });

describe('taintStatus', () => {
  const slices = [
    slice('n1', [
      { name: 'a', attributes: rdma(true), taints: [taint] },
      { name: 'b', attributes: rdma(false), taints: [taint] },
      { name: 'c', attributes: rdma(true) },
      // another component's taint is not knd's health report
      { name: 'd', attributes: rdma(true), taints: [{ ...taint, key: 'example.com/maintenance' }] },
    ]),
    slice('n3', [], { 'knd.dev/device-taints': 'unsupported' }),
    slice('n2', [{ name: 'e', attributes: rdma(true) }], { 'knd.dev/device-taints': 'unsupported' }),
  ];

  it.each([
    ['rdma class', { selector: { rdma: true } }, 1],
    ['every knd device', {}, 2],
    ['no rdma', { selector: { rdma: false } }, 1],
  ])(
    '%s: counts matched devices with the knd.dev/unhealthy taint, lists unsupported nodes',
    (_n, spec, tainted) => {
      expect(taintStatus(classExpressions({ spec }), slices, new DeviceMatcher())).toEqual({
        taintedDevices: tainted,
        unsupportedNodes: ['n2', 'n3'],
      });
    },
  );

  it('says which nodes drop taints, and keeps the transition time while nothing flips', () => {
    const bad = deviceTaintsCondition({ taintedDevices: 0, unsupportedNodes: ['n2'] }, 4, undefined, 'T1');
    expect(bad).toMatchObject({
      type: 'DeviceTaints',
      status: 'False',
      reason: 'NotServedByCluster',
      observedGeneration: 4,
    });
    expect(bad.message).toContain('1 node(s): n2');
    expect(
      deviceTaintsCondition({ taintedDevices: 0, unsupportedNodes: ['n3'] }, 4, [bad], 'T2')
        .lastTransitionTime,
    ).toBe('T1');
    const good = deviceTaintsCondition({ taintedDevices: 3, unsupportedNodes: [] }, 4, [bad], 'T3');
    expect([good.status, good.reason, good.lastTransitionTime]).toEqual(['True', 'Supported', 'T3']);
  });
});

describe('profile tolerations', () => {
  it('render into the NIC request with the operator the apiserver defaults to', () => {
    const t = renderClaimTemplate({
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'web', namespace: 'team' },
      spec: {
        deviceClassName: 'nics',
        tolerations: [
          { key: 'knd.dev/unhealthy', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
          { key: 'knd.dev/unhealthy', value: 'NoCarrier' },
        ],
      },
    });
    expect(t.spec.spec.devices.requests[0]?.exactly.tolerations).toEqual([
      { key: 'knd.dev/unhealthy', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'knd.dev/unhealthy', operator: 'Equal', value: 'NoCarrier' },
    ]);
  });
});
