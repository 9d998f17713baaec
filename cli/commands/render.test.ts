import { describe, it, expect } from '@jest/globals';
import { load, loadAll } from 'js-yaml';
import type { CommandIO } from '../command.js';
import { renderCommand } from './render.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML documents under test
type Yaml = Record<string, any>;

function io(files: Record<string, string>): CommandIO & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    stdout: (t: string) => {
      r.out += t;
    },
    stderr: (t: string) => {
      r.err += t;
    },
    readFile: (p: string) =>
      p in files ? Promise.resolve(files[p] ?? '') : Promise.reject(new Error(`ENOENT: ${p}`)),
  };
  return r;
}

const ndc = `apiVersion: knd.dev/v1alpha1
kind: NetworkDeviceClass
metadata: {name: rdma-nics}
spec:
  selector: {rdma: true, vendors: ["0x15b3"]}
  config: {interface: {mtu: 9000}}
`;
const profile = `apiVersion: knd.dev/v1alpha1
kind: NetworkProfile
metadata: {name: trainer}
spec:
  deviceClassName: rdma-nics
  count: 2
  config: {interface: {name: net1}}
  alignment: {deviceClassName: gpu.nvidia.com}
`;

describe('knd render', () => {
  it('renders a DeviceClass and an aligned ResourceClaimTemplate', async () => {
    const r = io({
      'in.yaml': `${ndc}---\n${profile}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`,
    });
    expect(await renderCommand.run(['-f', 'in.yaml'], r)).toBe(0);
    const [dc, rct] = loadAll(r.out) as Yaml[];
    expect(dc).toMatchObject({ kind: 'DeviceClass', metadata: { name: 'rdma-nics' } });
    expect(dc?.['spec'].selectors[0].cel.expression).toBe('device.driver == "knd.dev"');
    expect(dc?.['spec'].config[0].opaque).toEqual({
      driver: 'knd.dev',
      parameters: { apiVersion: 'knd.dev/v1alpha1', kind: 'NetworkConfig', interface: { mtu: 9000 } },
    });
    expect(rct).toMatchObject({
      kind: 'ResourceClaimTemplate',
      metadata: { name: 'trainer', namespace: 'default' },
    });
    expect(rct?.['spec'].spec.devices).toEqual({
      requests: [
        { name: 'nic', exactly: { deviceClassName: 'rdma-nics', allocationMode: 'ExactCount', count: 2 } },
        {
          name: 'aligned',
          exactly: { deviceClassName: 'gpu.nvidia.com', allocationMode: 'ExactCount', count: 1 },
        },
      ],
      constraints: [{ requests: ['nic', 'aligned'], matchAttribute: 'resource.kubernetes.io/pcieRoot' }],
      config: [
        {
          requests: ['nic'],
          opaque: {
            driver: 'knd.dev',
            parameters: {
              apiVersion: 'knd.dev/v1alpha1',
              kind: 'NetworkConfig',
              interface: { name: 'net1' },
            },
          },
        },
      ],
    });
    expect(rct?.['metadata'].ownerReferences).toBeUndefined();
  });

  it('a profile whose class is not in the file renders with the class name as given', async () => {
    const r = io({ 'p.yaml': profile });
    expect(await renderCommand.run(['-f', 'p.yaml', '-n', 'team-a'], r)).toBe(0);
    expect(load(r.out)).toMatchObject({ metadata: { namespace: 'team-a' } });
  });

  it('allocationMode All renders without a count', async () => {
    const r = io({ 'p.yaml': profile.replace('count: 2', 'allocationMode: All') });
    expect(await renderCommand.run(['-f', 'p.yaml'], r)).toBe(0);
    const rct = load(r.out.split('---')[0] ?? '') as Yaml;
    expect(rct['spec'].spec.devices.requests[0].exactly).toEqual({
      deviceClassName: 'rdma-nics',
      allocationMode: 'All',
    });
  });

  it.each([
    ['vendors: ["0x15b3"]', 'vendors: ["15b3"]', 'spec.selector.vendors[0]: must be a PCI vendor ID'],
    ['rdma: true', 'rdma: yes-please', 'spec.selector.rdma: must be boolean'],
    ['rdma: true', 'rdma: true, sriovRole: both', 'spec.selector.sriovRole: must be one of "pf", "vf"'],
    ['rdma: true', 'rdmaa: true', 'spec.selector.rdmaa: unknown field'],
    ['{mtu: 9000}', '{mtu: 9000, nmae: x}', 'spec.config.interface.nmae: unknown field'],
    ['{mtu: 9000}', '{mtu: 12}', 'spec.config.interface.mtu: must be >= 68'],
    [
      'selector: {rdma: true, vendors: ["0x15b3"]}',
      'cel: ["device.driver =="]',
      'spec.cel[0]: CEL does not compile',
    ],
    ['name: rdma-nics', 'name: RDMA_nics', 'metadata.name: must be a DNS subdomain'],
  ])('invalid class (%s -> %s): exit 1, one line with the field path', async (from, to, line) => {
    const r = io({ 'c.yaml': ndc.replace(from, to) });
    expect(await renderCommand.run(['-f', 'c.yaml'], r)).toBe(1);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('NetworkDeviceClass/');
    expect(lines[0]).toContain(line);
  });

  it.each([
    [
      'count: 2',
      'count: 2\n  allocationMode: All',
      'spec.count: count cannot be combined with allocationMode All',
    ],
    [
      'deviceClassName: rdma-nics',
      'deviceClassName: rdma-nics\n  selectors: ["device.attributes[\\"knd.dev\\"].x >"]',
      'spec.selectors[0]: CEL does not compile',
    ],
    [
      '{name: net1}',
      '{name: net1, addresses: [10.0.0.1]}',
      'spec.config.interface.addresses[0]: must be a CIDR',
    ],
    [
      'alignment: {deviceClassName: gpu.nvidia.com}',
      'alignment: {count: 1}',
      'spec.alignment.deviceClassName: required field is missing',
    ],
  ])('invalid profile (%s -> %s)', async (from, to, line) => {
    const r = io({ 'p.yaml': profile.replace(from, to) });
    expect(await renderCommand.run(['-f', 'p.yaml'], r)).toBe(1);
    expect(r.err).toContain(line);
  });

  it('reports every problem of every document, one per line', async () => {
    const r = io({
      'x.yaml': `${ndc.replace('rdma: true', 'rdma: 1')}---\n${profile.replace('count: 2', 'count: 0')}`,
    });
    expect(await renderCommand.run(['-f', 'x.yaml'], r)).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(2);
  });

  it('usage errors exit 2; unreadable files exit 1', async () => {
    expect(await renderCommand.run([], io({}))).toBe(2);
    const r = io({});
    expect(await renderCommand.run(['-f', 'missing.yaml'], r)).toBe(1);
    expect(r.err).toContain('missing.yaml');
  });
});
