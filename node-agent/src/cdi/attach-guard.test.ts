// Runs the guard script with /bin/sh, as runc does, against this process's own /proc entry: the
// loopback interface exists in every network namespace, `knd-no-such0` in none. The kernel side (a
// veth moved into another namespace) is covered by test/integration/attach-guard-netns.test.ts.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { attachGuardHook } from './attach-guard.js';

function runGuard(state: string, ifName: string): { status: number | null; stderr: string } {
  const hook = attachGuardHook(ifName, 'team-a/storage', 'eth1-0000-3b-00-0');
  const [argv0, ...rest] = hook.args;
  const r = spawnSync(hook.path, rest, { input: state, encoding: 'utf8', argv0: argv0 ?? 'sh' });
  return { status: r.status, stderr: r.stderr };
}

const state = (pid: number | string, spacing = ''): string =>
  `{"ociVersion":"1.2.1","id":"c1","status":"creating","pid":${spacing}${String(pid)},"bundle":"/run/b","annotations":{"pid":"no"}}`;

describe('attach guard hook', () => {
  it('is a createRuntime hook on /bin/sh with a timeout', () => {
    const hook = attachGuardHook('net1', 'a/b', 'dev0');
    expect(hook.hookName).toBe('createRuntime');
    expect(hook.path).toBe('/bin/sh');
    expect(hook.timeout).toBeGreaterThan(0);
    expect(hook.args.slice(-3)).toEqual(['net1', 'a/b', 'dev0']);
  });

  it.each([
    ['the interface is in the namespace', state(process.pid), 'lo', 0, ''],
    ['whitespace after "pid":', state(process.pid, ' '), 'lo', 0, ''],
    [
      'the interface is missing',
      state(process.pid),
      'knd-no-such0',
      1,
      'knd: device eth1-0000-3b-00-0 of claim team-a/storage is not attached yet: interface knd-no-such0 is not in the pod network namespace',
    ],
    ['no pid in the state', '{"id":"c1"}', 'lo', 1, 'no pid in the OCI state'],
    ['empty stdin', '', 'lo', 1, 'no pid in the OCI state'],
    ['the pid is gone', state(2 ** 22 + 1), 'lo', 1, 'cannot read /proc/4194305/net/dev'],
    ['a prefix of a real name is not a match', state(process.pid), 'l', 1, 'interface l is not'],
  ])('%s', (_name, input, ifName, status, message) => {
    const r = runGuard(input, ifName);
    expect(r.status).toBe(status);
    if (message === '') expect(r.stderr).toBe('');
    else expect(r.stderr).toContain(message);
  });
});
