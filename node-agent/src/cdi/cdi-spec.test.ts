import { describe, expect, it } from '@jest/globals';
import { attachGuardHook } from './attach-guard.js';
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
    ['letter-initial names, no char devices', 'a1b2', [], '0.3.0'],
    ['letter-initial names, no hostPath', 'a1b2', [cd('/dev/infiniband/uverbs0')], '0.3.0'],
    ['digit-initial device name', '1a2b', [cd('/dev/infiniband/uverbs0')], '0.5.0'],
    [
      'hostPath differs from path',
      'a1b2',
      [cd('/dev/infiniband/uverbs0', '/dev/infiniband/uverbs3')],
      '0.5.0',
    ],
  ])('lowest cdiVersion: %s', (_n, uid, charDevices, version) => {
    const spec = renderCdiSpec(
      uid,
      'ns/c',
      [{ deviceName: 'nic0', podIfName: 'net1', charDevices }],
      '/st/attached',
    );
    expect(spec?.cdiVersion).toBe(version);
    if (spec) expect(minimumCdiVersion(spec)).toBe(version);
  });

  it('points each guard at the completion mark of its own claim and device', () => {
    const spec = renderCdiSpec(
      'u1',
      'ns/c',
      [{ deviceName: 'nic0', podIfName: 'net1', charDevices: [] }],
      '/st/attached',
    );
    expect(spec?.devices[0]?.containerEdits.hooks[0]?.args.slice(-4)).toEqual([
      'net1',
      'ns/c',
      'nic0',
      '/st/attached/u1_nic0',
    ]);
  });

  it('gives every device the attach guard, and char devices only where the plan has them', () => {
    expect(renderCdiSpec('a', 'ns/c', [], '/st/attached')).toBeUndefined();
    expect(
      renderCdiSpec(
        'a',
        'ns/c',
        [
          { deviceName: 'nic0', podIfName: 'net1', charDevices: [] },
          { deviceName: 'rdma0', podIfName: 'net2', charDevices: [cd('/dev/infiniband/rdma_cm')] },
        ],
        '/st/attached',
      ),
    ).toEqual({
      cdiVersion: '0.3.0',
      kind: 'knd.dev/claim',
      devices: [
        {
          name: 'a-nic0',
          containerEdits: { hooks: [attachGuardHook('net1', 'ns/c', 'nic0', '/st/attached/a_nic0')] },
        },
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
            hooks: [attachGuardHook('net2', 'ns/c', 'rdma0', '/st/attached/a_rdma0')],
          },
        },
      ],
    });
  });
});
