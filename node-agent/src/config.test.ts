import { describe, expect, it } from '@jest/globals';
import { parseAgentConfig } from './config.js';

describe('parseAgentConfig', () => {
  it('applies defaults', () => {
    const r = parseAgentConfig(['--node-name=n1'], {});
    expect(r).toEqual({
      ok: true,
      config: expect.objectContaining({
        nodeName: 'n1',
        kubeletRoot: '/var/lib/kubelet',
        stateDir: '/var/lib/knd/state',
        cdiDir: '/var/run/cdi',
        netlink: true,
        nri: true,
        metricsPort: 9477,
      }),
    });
  });

  it.each([
    [['--node-name', 'n1', '--kubelet-root', '/k'], {}, { kubeletRoot: '/k' }],
    [['--no-nri', '--netlink=false'], { NODE_NAME: 'n2' }, { nodeName: 'n2', nri: false, netlink: false }],
    [
      ['--node-name=n1'],
      { KND_KUBELET_ROOT: '/env', KND_METRICS_PORT: '0' },
      { kubeletRoot: '/env', metricsPort: 0 },
    ],
    [['--node-name=n1', '--kubelet-root=/flag'], { KND_KUBELET_ROOT: '/env' }, { kubeletRoot: '/flag' }],
    [['--node-name=n1', '--publish'], { KND_PUBLISH: 'false' }, { publish: true }],
  ])('%j with env %j', (argv, env, expected) => {
    const r = parseAgentConfig(argv, env);
    expect(r.ok && r.config).toMatchObject(expected);
  });

  it.each([
    [[], {}, '--node-name (or $NODE_NAME) is required'],
    [['--node-name=n', '--bogus'], {}, 'unknown flag --bogus'],
    [['--node-name=n', '--nri=maybe'], {}, '--nri: must be true or false, got "maybe"'],
    [
      ['--node-name=n'],
      { KND_METRICS_PORT: '70000' },
      '$KND_METRICS_PORT: must be a port number 0-65535, got "70000"',
    ],
    [['--node-name=n', '--state-dir'], {}, '--state-dir: needs a value'],
    [['--node-name=n', 'extra'], {}, 'unexpected argument "extra"'],
  ])('rejects %j %j', (argv, env, error) => {
    const r = parseAgentConfig(argv, env);
    expect(r.ok ? [] : r.errors).toContain(error);
  });
});
