import { describe, expect, it } from '@jest/globals';
import { pcieConfig } from '../../../test/support/sysfs-fixture.js';
import { nearestPcieSwitch, pciePortTypeFromConfig, PCIE_PORT_TYPE } from './pcie-switch.js';

describe('pciePortTypeFromConfig', () => {
  it.each([
    ['root', PCIE_PORT_TYPE.rootPort],
    ['upstream', PCIE_PORT_TYPE.upstreamPort],
    ['downstream', PCIE_PORT_TYPE.downstreamPort],
    ['endpoint', PCIE_PORT_TYPE.endpoint],
  ] as const)('%s port', (t, want) => {
    expect(pciePortTypeFromConfig(pcieConfig('0x1000', '0xc030', t))).toBe(want);
  });

  it('is undefined for 64-byte (unprivileged) reads, no capability list, or no PCIe capability', () => {
    const full = pcieConfig('0x1000', '0xc030', 'upstream');
    expect(pciePortTypeFromConfig(full.subarray(0, 64))).toBeUndefined();
    const noCaps = Buffer.from(full);
    noCaps.writeUInt16LE(0, 6);
    expect(pciePortTypeFromConfig(noCaps)).toBeUndefined();
    const noExp = Buffer.from(full);
    noExp[0x41] = 0; // MSI is the only capability
    expect(pciePortTypeFromConfig(noExp)).toBeUndefined();
  });

  it('stops on a capability loop', () => {
    const loop = Buffer.from(pcieConfig('0x1000', '0xc030', 'upstream'));
    loop[0x41] = 0x40;
    expect(pciePortTypeFromConfig(loop)).toBeUndefined();
  });
});

const RP = PCIE_PORT_TYPE.rootPort;
const USP = PCIE_PORT_TYPE.upstreamPort;
const DSP = PCIE_PORT_TYPE.downstreamPort;

describe('nearestPcieSwitch', () => {
  it.each([
    ['directly under the root complex', [], { found: false, method: 'depth' }],
    ['under a root port', [{ address: 'r', portType: RP }], { found: false, method: 'port-type' }],
    [
      'one switch',
      [
        { address: 'r', portType: RP },
        { address: 'u', portType: USP },
        { address: 'd', portType: DSP },
      ],
      { found: true, switchAddress: 'u', method: 'port-type' },
    ],
    [
      'nested switches: the nearest wins',
      [
        { address: 'r', portType: RP },
        { address: 'u1', portType: USP },
        { address: 'd1', portType: DSP },
        { address: 'u2', portType: USP },
        { address: 'd2', portType: DSP },
      ],
      { found: true, switchAddress: 'u2', method: 'port-type' },
    ],
    [
      'one switch, config unreadable (depth rule)',
      [{ address: 'r' }, { address: 'u' }, { address: 'd' }],
      { found: true, switchAddress: 'u', method: 'depth' },
    ],
    [
      'two levels, config unreadable',
      [{ address: 'r' }, { address: 'u1' }, { address: 'd1' }, { address: 'u2' }, { address: 'd2' }],
      { found: true, switchAddress: 'u2', method: 'depth' },
    ],
    [
      'even depth without config: no switch claimed',
      [{ address: 'r' }, { address: 'x' }],
      { found: false, method: 'depth' },
    ],
    [
      'partially readable config falls back to depth',
      [{ address: 'r', portType: RP }, { address: 'u' }, { address: 'd', portType: DSP }],
      { found: true, switchAddress: 'u', method: 'depth' },
    ],
  ])('%s', (_name, ancestors, want) => {
    expect(nearestPcieSwitch(ancestors)).toEqual(want);
  });
});
