// stageFile / writeFileAtomic on a real directory: nothing under the target name until commit, the
// temp file gone after commit or discard, a second commit refused.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageFile, writeFileAtomic } from './durable-file.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stageFile', () => {
  it('keeps the data under a temp name until commit, then only under the target name', async () => {
    const staged = await stageFile(dir, 'a.json', '{"v":1}');
    const before = await readdir(dir);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatch(/^\.tmp-a\.json-[0-9a-f]{8}$/);
    await staged.commit();
    expect(await readdir(dir)).toEqual(['a.json']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('{"v":1}');
    await expect(staged.commit()).rejects.toThrow(/already committed or discarded/);
    await staged.discard(); // no-op after commit
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('discard removes the temp file and leaves an existing target alone', async () => {
    await writeFileAtomic(dir, 'a.json', 'old');
    const staged = await stageFile(dir, 'a.json', 'new');
    await staged.discard();
    expect(await readdir(dir)).toEqual(['a.json']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('old');
  });

  it('fails in a directory that does not exist, leaving nothing behind', async () => {
    await expect(stageFile(join(dir, 'missing'), 'a.json', 'x')).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});
