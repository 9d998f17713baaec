// Every format version knd ever wrote is kept as a fixture under testdata/ (`<format>-v<N>.json`);
// each must decode into the current version, and the current encoding of the result must decode to
// the same value (round trip). A version bump without a fixture of the version before fails here.
import { describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { attachRecordFormat } from './attach-record-format.js';
import { decodeDurable, type DurableFormat } from './durable-format.js';
import { planFormat } from './plan-format.js';

const testdata = join(import.meta.dirname, 'testdata');
const formats: [string, DurableFormat<unknown>][] = [
  ['plan', planFormat],
  ['attach-record', attachRecordFormat],
];

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(testdata, name), 'utf8')) as unknown;
}

describe.each(formats)('%s format', (prefix, format) => {
  const first = format.unversioned ?? 1;
  const versions = Array.from({ length: format.current - first + 1 }, (_, i) => first + i);

  it('has a fixture of every version, and nothing else', async () => {
    const names = (await readdir(testdata)).filter((n) => n.startsWith(`${prefix}-v`)).sort();
    expect(names).toEqual(versions.map((v) => `${prefix}-v${String(v)}.json`).sort());
  });

  it.each(versions)('version %i decodes to the current version and round-trips', async (v) => {
    const d = decodeDurable(format, await fixture(`${prefix}-v${String(v)}.json`));
    if (d.status !== 'ok') throw new Error(`fixture v${String(v)}: ${JSON.stringify(d)}`);
    expect(d.fromVersion).toBe(v);
    expect((d.value as { formatVersion: number }).formatVersion).toBe(format.current);
    // written again (what the store writes) and read back: the same value, now current
    const again = decodeDurable(format, JSON.parse(JSON.stringify(d.value)));
    expect(again).toEqual({ status: 'ok', value: d.value, fromVersion: format.current });
    // the fixtures of one format describe the same state: every version converts to the current one
    const current = decodeDurable(format, await fixture(`${prefix}-v${String(format.current)}.json`));
    expect(d.value).toEqual(current.status === 'ok' ? current.value : undefined);
  });

  it('a newer version is reported with its stable header, never converted', async () => {
    const doc = {
      ...((await fixture(`${prefix}-v${String(format.current)}.json`)) as object),
      formatVersion: format.current + 1,
      somethingNew: { shape: 'unknown to this agent' },
    };
    const d = decodeDurable(format, doc);
    expect(d).toEqual({
      status: 'newer',
      version: format.current + 1,
      header: { bootId: '5c1d7e9a-2b4f-4a6c-8e0d-1f3b5d7a9c2e', deviceNames: ['pci-0000-3b-00-0'] },
    });
  });
});

describe('decodeDurable failures', () => {
  it.each<[string, DurableFormat<unknown>, unknown, RegExp]>([
    ['plan: not an object', planFormat, [1, 2], /not a JSON object/],
    ['plan: no version', planFormat, { bootId: 'b', claim: { uid: 'u' } }, /formatVersion missing/],
    ['plan: version 0', planFormat, { formatVersion: 0 }, /formatVersion 0: not a version of a knd plan/],
    ['plan: version "1"', planFormat, { formatVersion: '1' }, /formatVersion "1"/],
    ['plan: version 1.5', planFormat, { formatVersion: 1.5 }, /formatVersion 1.5/],
    [
      'plan: no devices',
      planFormat,
      { formatVersion: 1, bootId: 'b', claim: { uid: 'u' }, podUids: [] },
      /format version 1: devices: must be a list/,
    ],
    [
      'plan: device without a name',
      planFormat,
      { formatVersion: 1, bootId: 'b', claim: { uid: 'u' }, podUids: [], devices: [{}] },
      /devices\[0\]\.deviceName: must be a string/,
    ],
    ['plan: no claim uid', planFormat, { formatVersion: 1, bootId: 'b', claim: {} }, /claim\.uid/],
    [
      'record v1: no netns path',
      attachRecordFormat,
      { bootId: 'b', record: { claimUid: 'c', podUid: 'p', deviceName: 'd', podIfName: 'net1', host: {} } },
      /format version 1: record\.netnsPath: must be a string/,
    ],
    [
      'record v2: no record',
      attachRecordFormat,
      { formatVersion: 2, bootId: 'b' },
      /record: must be an object/,
    ],
  ])('%s', (_name, format, doc, reason) => {
    const d = decodeDurable(format, doc);
    expect(d.status).toBe('invalid');
    expect(d.status === 'invalid' ? d.reason : '').toMatch(reason);
  });

  it('a header readable from an invalid document still names its devices', () => {
    const d = decodeDurable(planFormat, {
      formatVersion: 1,
      bootId: 'b',
      devices: [{ deviceName: 'nic0' }, 7],
    });
    expect(d).toMatchObject({ status: 'invalid', header: { bootId: 'b', deviceNames: ['nic0'] } });
  });
});
