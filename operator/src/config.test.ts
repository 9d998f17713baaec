import { describe, expect, it } from '@jest/globals';
import { OPERATOR_FLAGS, operatorUsage, parseOperatorConfig } from './config.js';

describe('parseOperatorConfig', () => {
  it('applies defaults', () => {
    expect(parseOperatorConfig([], {})).toEqual({
      kind: 'ok',
      config: {
        logLevel: 'info',
        healthPort: 8081,
        leaderElection: true,
        leaseNamespace: 'kube-system',
        leaseName: 'knd-operator',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
        workers: 4,
      },
    });
  });

  // the flags the Helm chart (charts/knd/templates/operator-deployment.yaml) and hack/start.sh pass
  it.each([
    [['--kubeconfig', '/kc', '--identity=a'], {}, { kubeconfig: '/kc', identity: 'a' }],
    [['--health-port=0', '--metrics-port=9090'], {}, { healthPort: 0, metricsPort: 9090 }],
    [['--leader-elect=false'], {}, { leaderElection: false }],
    [['--no-leader-elect'], {}, { leaderElection: false }],
    [
      ['--lease-namespace=$(POD_NAMESPACE)', '--lease-name', 'l'],
      {},
      { leaseNamespace: '$(POD_NAMESPACE)', leaseName: 'l' },
    ],
    [
      ['--lease-duration-seconds=30', '--renew-deadline-seconds=20', '--retry-period-seconds=0.5'],
      {},
      { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 },
    ],
    [[], { KND_WORKERS: '8', KND_LOG_LEVEL: 'debug' }, { workers: 8, logLevel: 'debug' }],
    [['--workers=2'], { KND_WORKERS: '8' }, { workers: 2 }],
    [[], { KND_KUBECONFIG: '/env-kc' }, { kubeconfig: '/env-kc' }],
  ])('%j with env %j', (argv, env, expected) => {
    const r = parseOperatorConfig(argv, env);
    expect(r.kind === 'ok' && r.config).toMatchObject(expected);
  });

  it.each([
    [['--bogus'], {}, 'unknown flag --bogus'],
    [['--workers=0'], {}, '--workers: must be an integer >= 1, got "0"'],
    [['--workers=1.5'], {}, '--workers: must be an integer >= 1, got "1.5"'],
    [['--retry-period-seconds=0.01'], {}, '--retry-period-seconds: must be a number >= 0.1, got "0.01"'],
    [['--lease-duration-seconds=abc'], {}, '--lease-duration-seconds: must be a number >= 1, got "abc"'],
    [['--leader-elect=yes'], {}, '--leader-elect: must be true or false, got "yes"'],
    [['--health-port=65536'], {}, '--health-port: must be a port number 0-65535, got "65536"'],
    [[], { KND_HEALTH_PORT: 'x' }, '$KND_HEALTH_PORT: must be a port number 0-65535, got "x"'],
    [['--log-level=trace'], {}, '--log-level: must be one of error, warn, info, debug, got "trace"'],
  ])('rejects %j %j', (argv, env, error) => {
    const r = parseOperatorConfig(argv, env);
    expect(r.kind === 'error' ? r.errors : []).toEqual([error]);
  });

  it('answers --help', () => {
    expect(parseOperatorConfig(['--workers=2', '--help'], {})).toEqual({ kind: 'help' });
    const usage = operatorUsage();
    for (const f of OPERATOR_FLAGS) expect(usage).toContain(`  --${f.name}=<`);
    expect(usage).toContain('(default: none; env $KND_METRICS_PORT)');
    expect(usage).toContain('(default 4; env $KND_WORKERS)');
  });
});
