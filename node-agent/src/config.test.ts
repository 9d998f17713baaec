import { describe, expect, it } from '@jest/globals';
import { AGENT_FLAGS, agentUsage, parseAgentConfig } from './config.js';

describe('parseAgentConfig', () => {
  it('applies defaults and yields every AgentConfig field', () => {
    const r = parseAgentConfig(['--node-name=n1'], {});
    expect(r).toEqual({
      kind: 'ok',
      config: {
        nodeName: 'n1',
        kubeconfig: '',
        kubeletRoot: '/var/lib/kubelet',
        stateDir: '/var/lib/knd/state',
        bootIdPath: '/proc/sys/kernel/random/boot_id',
        cdiDir: '/var/run/cdi',
        sysfsRoot: '/sys',
        netlink: true,
        filterCel: '',
        optInVirtual: '',
        publish: true,
        healthTaints: true,
        healthTaintHoldMs: 10000,
        nri: true,
        nriSocket: '/var/run/nri/nri.sock',
        claimCache: true,
        metricsHost: '127.0.0.1',
        metricsPort: 9477,
        logLevel: 'info',
      },
    });
  });

  it.each([
    [['--node-name', 'n1', '--kubelet-root', '/k'], {}, { kubeletRoot: '/k' }],
    [
      ['--no-nri', '--netlink=false'],
      { KND_NODE_NAME: 'n2' },
      { nodeName: 'n2', nri: false, netlink: false },
    ],
    // the names other tools use keep working
    [[], { NODE_NAME: 'n3', KUBECONFIG: '/kc' }, { nodeName: 'n3', kubeconfig: '/kc' }],
    [[], { KND_NODE_NAME: 'n4', NODE_NAME: 'n3' }, { nodeName: 'n4' }],
    [
      ['--node-name=n1'],
      { KND_KUBELET_ROOT: '/env', KND_METRICS_PORT: '0' },
      { kubeletRoot: '/env', metricsPort: 0 },
    ],
    [['--node-name=n1', '--kubelet-root=/flag'], { KND_KUBELET_ROOT: '/env' }, { kubeletRoot: '/flag' }],
    [['--node-name=n1', '--publish'], { KND_PUBLISH: 'false' }, { publish: true }],
    [['--node-name=n1', '--opt-in-virtual', 'veth,macvlan'], {}, { optInVirtual: 'veth,macvlan' }],
    [
      ['--node-name=n1', '--health-taint-hold-ms=2500'],
      { KND_HEALTH_TAINTS: 'false' },
      { healthTaintHoldMs: 2500, healthTaints: false },
    ],
    [
      ['--node-name=n1'],
      { KND_LOG_LEVEL: 'debug', KND_CLAIM_CACHE: '0' },
      { logLevel: 'debug', claimCache: false },
    ],
  ])('%j with env %j', (argv, env, expected) => {
    const r = parseAgentConfig(argv, env);
    expect(r.kind === 'ok' && r.config).toMatchObject(expected);
  });

  it.each([
    [[], {}, '--node-name (or $KND_NODE_NAME) is required'],
    [['--node-name='], {}, '--node-name (or $KND_NODE_NAME) is required'],
    [['--node-name=n', '--bogus'], {}, 'unknown flag --bogus'],
    [['--node-name=n', '--nri=maybe'], {}, '--nri: must be true or false, got "maybe"'],
    [
      ['--node-name=n'],
      { KND_METRICS_PORT: '70000' },
      '$KND_METRICS_PORT: must be a port number 0-65535, got "70000"',
    ],
    [['--node-name=n', '--state-dir'], {}, '--state-dir: needs a value'],
    [['--node-name=n', 'extra'], {}, 'unexpected argument "extra" (flags start with --)'],
    [
      ['--node-name=n', '--log-level=loud'],
      {},
      '--log-level: must be one of error, warn, info, debug, got "loud"',
    ],
  ])('rejects %j %j', (argv, env, error) => {
    const r = parseAgentConfig(argv, env);
    expect(r.kind === 'error' ? r.errors : []).toContain(error);
  });

  it.each([[['--help']], [['-h']], [['--bogus', '--help']]])('%j asks for the usage', (argv) => {
    expect(parseAgentConfig(argv, {})).toEqual({ kind: 'help' });
  });

  it('usage lists every flag with its default and environment variable', () => {
    const usage = agentUsage();
    for (const f of AGENT_FLAGS) {
      const line = usage.split('\n').find((l) => l.startsWith(`  --${f.name}=`));
      expect(line).toMatch(new RegExp(`env \\$KND_${f.name.toUpperCase().replaceAll('-', '_')}`));
      expect(line).toMatch(f.required ? /\(required;/ : /\(default /);
    }
    expect(usage).toContain('--state-dir=<string>');
    expect(usage).toContain('(default /var/lib/knd/state; env $KND_STATE_DIR)');
  });
});
