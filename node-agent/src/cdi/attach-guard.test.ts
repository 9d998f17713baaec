// Runs the guard script with /bin/sh, as runc does, against this process's own /proc entry: the
// loopback interface exists in every network namespace, `knd-no-such0` in none; the completion
// mark is a temp file naming this process's network namespace (or not). The kernel side (a veth
// moved into another namespace by KernelNetnsOps) is covered by
// test/integration/attach-guard-netns.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachGuardHook } from './attach-guard.js';

let dir = '';
const marks: Record<string, string> = {};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-guard-'));
  const put = async (name: string, content: string): Promise<void> => {
    marks[name] = join(dir, name);
    await writeFile(marks[name], content);
  };
  await put('this-netns', `/proc/${String(process.pid)}/ns/net\n`);
  await put('no-newline', `/proc/${String(process.pid)}/ns/net`);
  await put('not-a-netns', `${tmpdir()}\n`);
  await put('empty', '');
  await put('torn', `/proc/${String(process.pid)}/ns/n`);
  marks.missing = join(dir, 'missing');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runGuard(
  state: string,
  ifName: string,
  mark = 'this-netns',
): { status: number | null; stderr: string } {
  const hook = attachGuardHook(ifName, 'team-a/storage', 'eth1-0000-3b-00-0', marks[mark] ?? mark);
  const [argv0, ...rest] = hook.args;
  const r = spawnSync(hook.path, rest, { input: state, encoding: 'utf8', argv0: argv0 ?? 'sh' });
  return { status: r.status, stderr: r.stderr };
}

const state = (pid: number | string, spacing = ''): string =>
  `{"ociVersion":"1.2.1","id":"c1","status":"creating","pid":${spacing}${String(pid)},"bundle":"/run/b","annotations":{"pid":"no"}}`;

const notCompleted = 'is in the pod network namespace but its attach has not completed';

describe('attach guard hook', () => {
  it('is a createRuntime hook on /bin/sh with a timeout', () => {
    const hook = attachGuardHook('net1', 'a/b', 'dev0', '/st/attached/c_dev0');
    expect(hook.hookName).toBe('createRuntime');
    expect(hook.path).toBe('/bin/sh');
    expect(hook.timeout).toBeGreaterThan(0);
    expect(hook.args.slice(-4)).toEqual(['net1', 'a/b', 'dev0', '/st/attached/c_dev0']);
  });

  it.each([
    [
      'completed: the interface is in the namespace and the mark names it',
      state(process.pid),
      'lo',
      'this-netns',
      0,
      '',
    ],
    ['whitespace after "pid":', state(process.pid, ' '), 'lo', 'this-netns', 0, ''],
    ['a mark without a trailing newline', state(process.pid), 'lo', 'no-newline', 0, ''],
    [
      'the interface is missing',
      state(process.pid),
      'knd-no-such0',
      'this-netns',
      1,
      'knd: device eth1-0000-3b-00-0 of claim team-a/storage is not attached yet: interface knd-no-such0 is not in the pod network namespace',
    ],
    ['no pid in the state', '{"id":"c1"}', 'lo', 'this-netns', 1, 'no pid in the OCI state'],
    ['empty stdin', '', 'lo', 'this-netns', 1, 'no pid in the OCI state'],
    ['the pid is gone', state(2 ** 22 + 1), 'lo', 'this-netns', 1, 'cannot read /proc/4194305/net/dev'],
    [
      'a prefix of a real name is not a match',
      state(process.pid),
      'l',
      'this-netns',
      1,
      'interface l is not',
    ],
    // the two header lines of /proc/<pid>/net/dev end in these words; they are not interfaces
    [
      'the header word "Transmit" is not an interface',
      state(process.pid),
      'Transmit',
      'this-netns',
      1,
      'interface Transmit is not',
    ],
    [
      'the header word "compressed" is not an interface',
      state(process.pid),
      'compressed',
      'this-netns',
      1,
      'interface compressed is not',
    ],
    // the agent died mid-attach: the interface is there, the completion mark is not
    ['the interface is there but no completion mark', state(process.pid), 'lo', 'missing', 1, notCompleted],
    ['an empty mark', state(process.pid), 'lo', 'empty', 1, notCompleted],
    ['a torn mark', state(process.pid), 'lo', 'torn', 1, notCompleted],
    [
      'a mark naming something that is not this namespace',
      state(process.pid),
      'lo',
      'not-a-netns',
      1,
      notCompleted,
    ],
  ])('%s', (_name, input, ifName, mark, status, message) => {
    const r = runGuard(input, ifName, mark);
    expect(r.status).toBe(status);
    if (message === '') expect(r.stderr).toBe('');
    else expect(r.stderr).toContain(message);
  });
});
