import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { CommandIO } from '../command.js';
import { gpuServer8x8, makeSysfsFixture, manyNics } from '../../test/support/sysfs-fixture.js';
import { discoverCommand } from './discover.js';

interface Out {
  io: CommandIO;
  out: () => string;
  errText: () => string;
}

function capture(): Out {
  let out = '';
  let errText = '';
  return {
    io: {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        errText += t;
      },
      readFile: () => Promise.reject(new Error('unused')),
    },
    out: () => out,
    errText: () => errText,
  };
}

interface SliceList {
  apiVersion: string;
  kind: string;
  items: {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: {
      driver: string;
      nodeName: string;
      pool: { name: string; generation: number; resourceSliceCount: number };
      devices: { name: string; attributes: Record<string, unknown> }[];
    };
  }[];
}

describe('knd discover', () => {
  let gpu: { root: string; cleanup: () => Promise<void> };
  let many: { root: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    gpu = await makeSysfsFixture(gpuServer8x8().spec);
    many = await makeSysfsFixture(manyNics(130));
  });
  afterAll(async () => {
    await gpu.cleanup();
    await many.cleanup();
  });

  it('prints a v1 List of resource.k8s.io/v1 ResourceSlices as JSON', async () => {
    const c = capture();
    const code = await discoverCommand.run(
      ['--sysfs-root', gpu.root, '-o', 'json', '--node-name', 'gpu-1'],
      c.io,
    );
    expect(code).toBe(0);
    const list = JSON.parse(c.out()) as SliceList;
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(1);
    const s = list.items[0];
    expect(s?.apiVersion).toBe('resource.k8s.io/v1');
    expect(s?.metadata.name).toBe('gpu-1-knd.dev-0');
    expect(s?.spec).toMatchObject({
      driver: 'knd.dev',
      nodeName: 'gpu-1',
      pool: { name: 'gpu-1', generation: 1, resourceSliceCount: 1 },
    });
    expect(s?.spec.devices).toHaveLength(8);
    expect(s?.spec.devices[0]?.attributes['knd.dev/mtu']).toEqual({ int: 9000 });
  });

  it('splits more than 128 devices over slices (YAML)', async () => {
    const c = capture();
    expect(await discoverCommand.run(['--sysfs-root', many.root, '--node-name', 'big'], c.io)).toBe(0);
    const list = load(c.out()) as SliceList;
    expect(
      list.items.map((i) => [i.metadata.name, i.spec.devices.length, i.spec.pool.resourceSliceCount]),
    ).toEqual([
      ['big-knd.dev-0', 128, 2],
      ['big-knd.dev-1', 2, 2],
    ]);
  });

  it.each([
    [['-o', 'xml'], /-o: must be json or yaml/],
    [['--bogus'], /unknown flag --bogus/],
    [['extra'], /unexpected argument extra/],
  ])('rejects %j', async (args, msg) => {
    const c = capture();
    expect(await discoverCommand.run(args, c.io)).toBe(2);
    expect(c.errText()).toMatch(msg);
  });

  it('reports a bad filter', async () => {
    const c = capture();
    expect(
      await discoverCommand.run(
        ['--sysfs-root', gpu.root, '--filter', 'device.attributes[', '-o', 'json'],
        c.io,
      ),
    ).toBe(1);
    expect(c.errText()).toMatch(/filter: invalid CEL expression/);
  });

  it('refuses a --sysfs-root that is not a sysfs tree, printing no slices', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'knd-not-sysfs-'));
    try {
      await writeFile(join(dir, 'file'), 'x');
      await mkdir(join(dir, 'class'));
      await writeFile(join(dir, 'class', 'net'), 'x');
      for (const [root, reason] of [
        [join(dir, 'file'), 'not a sysfs tree (no class/net)'],
        [join(dir, 'missing'), 'not a sysfs tree (no class/net)'],
        [dir, 'not a sysfs tree (class/net is not a directory)'],
      ] as const) {
        const c = capture();
        expect(await discoverCommand.run(['--sysfs-root', root, '-o', 'json'], c.io)).toBe(1);
        expect(c.out()).toBe('');
        expect(c.errText()).toBe(`knd discover: --sysfs-root ${root}: ${reason}\n`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs on the live /sys of this machine with netlink and says what it excluded', async () => {
    const c = capture();
    expect(await discoverCommand.run(['-o', 'json', '--show-excluded', '--node-name', 'live'], c.io)).toBe(0);
    const list = JSON.parse(c.out()) as SliceList;
    expect(list.items.length).toBeGreaterThanOrEqual(1);
    // Loopback is never published; it is always reported as excluded.
    expect(c.errText()).toMatch(/excluded: lo: loopback/);
    for (const d of list.items.flatMap((i) => i.spec.devices))
      expect(d.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
