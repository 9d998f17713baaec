import { describe, expect, it } from '@jest/globals';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../../lib/api/network-profile.js';
import { renderClaimTemplate } from './claim-template.js';
import { SHARED_DEVICE_SELECTOR, renderDeviceClass } from './device-class.js';

const profile = (spec: NetworkProfile['spec']): NetworkProfile => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkProfile',
  metadata: { name: 'storage-net', namespace: 'team-a' },
  spec,
});
const ndc = (spec: NetworkDeviceClass['spec']): NetworkDeviceClass => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name: 'storage' },
  spec,
});

describe('shared devices in the generated DRA objects', () => {
  it.each<[string, NetworkProfile['spec'], unknown]>([
    [
      'a share asks for its bandwidth',
      { deviceClassName: 'storage', share: { bandwidthMbps: 100 } },
      { requests: { bandwidth: '100M' } },
    ],
    [
      'in canonical quantity form',
      { deviceClassName: 'storage', share: { bandwidthMbps: 2000 } },
      { requests: { bandwidth: '2G' } },
    ],
    ['no share, no capacity request', { deviceClassName: 'storage' }, undefined],
  ])('claim template: %s', (_n, spec, want) => {
    const nic = renderClaimTemplate(profile(spec)).spec.spec.devices.requests[0];
    expect(nic?.exactly.capacity).toEqual(want);
    expect(nic?.exactly).toMatchObject({
      deviceClassName: 'storage',
      allocationMode: 'ExactCount',
      count: 1,
    });
  });

  it('a shared class allocates only devices published as shared', () => {
    const shared = renderDeviceClass(
      ndc({ selector: { interfaceNames: ['stor*'] }, shared: { maxChildren: 8 } }),
    );
    const whole = renderDeviceClass(ndc({ selector: { interfaceNames: ['stor*'] } }));
    expect(shared.spec.selectors.map((s) => s.cel.expression)).toEqual([
      ...whole.spec.selectors.map((s) => s.cel.expression),
      SHARED_DEVICE_SELECTOR,
    ]);
    expect(whole.spec.selectors.map((s) => s.cel.expression)).not.toContain(SHARED_DEVICE_SELECTOR);
  });
});
