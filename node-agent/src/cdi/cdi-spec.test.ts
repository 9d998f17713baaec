import { describe, expect, it } from '@jest/globals';
import { cdiDeviceId, cdiSpecFileName, minimumCdiVersion, renderCdiSpec } from './cdi-spec.js';

const cd = (path: string, hostPath = path) => ({
  path,
  hostPath,
  major: 231,
  minor: 192,
  fileMode: 0o666,
  permissions: 'rw',
});

describe('CDI spec rendering', () => {
  it('names ids and files per claim', () => {
    expect(cdiDeviceId('abc', 'nic0')).toBe('knd.dev/claim=abc-nic0');
    expect(cdiSpecFileName('abc')).toBe('knd.dev-claim_abc.json');
  });

  it.each([
    ['letter-initial names, no hostPath', 'a1b2', [cd('/dev/infiniband/uverbs0')], '0.3.0'],
    ['digit-initial device name', '1a2b', [cd('/dev/infiniband/uverbs0')], '0.5.0'],
    [
      'hostPath differs from path',
      'a1b2',
      [cd('/dev/infiniband/uverbs0', '/dev/infiniband/uverbs3')],
      '0.5.0',
    ],
  ])('lowest cdiVersion: %s', (_n, uid, charDevices, version) => {
    const spec = renderCdiSpec(uid, [{ deviceName: 'nic0', charDevices }]);
    expect(spec?.cdiVersion).toBe(version);
    if (spec) expect(minimumCdiVersion(spec)).toBe(version);
  });

  it('omits devices without char devices and returns undefined when none', () => {
    expect(renderCdiSpec('a', [{ deviceName: 'nic0', charDevices: [] }])).toBeUndefined();
    expect(
      renderCdiSpec('a', [
        { deviceName: 'nic0', charDevices: [] },
        { deviceName: 'rdma0', charDevices: [cd('/dev/infiniband/rdma_cm')] },
      ]),
    ).toEqual({
      cdiVersion: '0.3.0',
      kind: 'knd.dev/claim',
      devices: [
        {
          name: 'a-rdma0',
          containerEdits: {
            deviceNodes: [
              {
                path: '/dev/infiniband/rdma_cm',
                type: 'c',
                major: 231,
                minor: 192,
                fileMode: 0o666,
                permissions: 'rw',
              },
            ],
          },
        },
      ],
    });
  });
});
