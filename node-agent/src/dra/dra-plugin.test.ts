import { describe, expect, it } from '@jest/globals';
import { draPluginPaths, parseClaims } from './dra-plugin.js';

describe('DRA plugin wire helpers', () => {
  it('derives both socket paths from the kubelet root', () => {
    expect(draPluginPaths('/var/lib/kubelet', 'knd.dev')).toEqual({
      draSocket: '/var/lib/kubelet/plugins/knd.dev/dra.sock',
      registrationSocket: '/var/lib/kubelet/plugins_registry/knd.dev-reg.sock',
    });
  });

  it.each([
    [[{ namespace: 'a', uid: 'u', name: 'n' }], [{ namespace: 'a', uid: 'u', name: 'n' }]],
    [[], []],
    [undefined, 'claims: must be a list'],
    [[{ namespace: 'a', uid: '', name: 'n' }], 'claims[0].uid: required'],
    [[null], 'claims[0].uid: required'],
    // a claim without namespace or name fails alone (DraHandler.prepare), not the whole call
    [
      [{ uid: 'u1' }, { namespace: 'a', uid: 'u2', name: 'n' }],
      [
        { namespace: '', uid: 'u1', name: '' },
        { namespace: 'a', uid: 'u2', name: 'n' },
      ],
    ],
  ])('parseClaims(%j)', (input, expected) => {
    expect(parseClaims(input)).toEqual(expected);
  });
});
