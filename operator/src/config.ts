// The operator's configuration: flags, then environment (KND_<FLAG>), then defaults; parsed once at
// start into a typed object (pure). Same flag style and parser as the node agent
// (lib/util/flags.ts).
import {
  flagUsage,
  parseConfig,
  type ConfigResult,
  type FlagSpec,
  type FlagValue,
} from '../../lib/util/flags.js';
import { LOG_LEVELS } from '../../lib/util/logger.js';

export interface OperatorConfig {
  /** Undefined: $KUBECONFIG, ~/.kube/config, then in-cluster (client-node's default loading). */
  kubeconfig?: string;
  /** Lease identity; undefined: <hostname>-<random>. */
  identity?: string;
  logLevel: string;
  healthPort: number;
  /** Undefined: no second listener. */
  metricsPort?: number;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  workers: number;
}

export const OPERATOR_FLAGS: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    kind: 'string',
    unsetMeans: '$KUBECONFIG, ~/.kube/config, then in-cluster',
    help: 'kubeconfig file',
  },
  {
    name: 'health-port',
    kind: 'port',
    default: '8081',
    help: '/healthz, /readyz and /metrics port; 0: any free port',
  },
  {
    name: 'metrics-port',
    kind: 'port',
    unsetMeans: 'none',
    help: 'a second port serving the same endpoints (for Prometheus)',
  },
  {
    name: 'leader-elect',
    kind: 'bool',
    default: 'true',
    help: 'take a Lease before acting (false: one replica only)',
  },
  { name: 'lease-namespace', kind: 'string', default: 'kube-system', help: 'namespace of the leader Lease' },
  { name: 'lease-name', kind: 'string', default: 'knd-operator', help: 'name of the leader Lease' },
  {
    name: 'lease-duration-seconds',
    kind: 'number',
    default: '15',
    min: 1,
    help: 'how long a Lease is valid',
  },
  {
    name: 'renew-deadline-seconds',
    kind: 'number',
    default: '10',
    min: 1,
    help: 'the leader gives up when it could not renew for this long',
  },
  {
    name: 'retry-period-seconds',
    kind: 'number',
    default: '2',
    min: 0.1,
    help: 'time between Lease attempts',
  },
  { name: 'workers', kind: 'int', default: '4', min: 1, help: 'reconcile workers' },
  {
    name: 'log-level',
    kind: 'string',
    default: 'info',
    choices: LOG_LEVELS,
    help: 'log level of the JSON logs',
  },
  {
    name: 'identity',
    kind: 'string',
    unsetMeans: '<hostname>-<random>',
    help: "this replica's Lease identity",
  },
];

export function operatorUsage(): string {
  return flagUsage(
    'knd-operator',
    'renders NetworkDeviceClasses and NetworkProfiles into DRA DeviceClasses and ResourceClaimTemplates',
    OPERATOR_FLAGS,
  );
}

export function parseOperatorConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult<OperatorConfig> {
  return parseConfig(OPERATOR_FLAGS, argv, env, toOperatorConfig);
}

function toOperatorConfig(v: Readonly<Record<string, FlagValue>>): OperatorConfig {
  const str = (name: string): string | undefined => {
    const x = v[name];
    return typeof x === 'string' && x !== '' ? x : undefined;
  };
  const num = (name: string): number => Number(v[name]);
  const kubeconfig = str('kubeconfig');
  const identity = str('identity');
  const metricsPort = v['metrics-port'];
  return {
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(identity !== undefined ? { identity } : {}),
    logLevel: String(v['log-level']),
    healthPort: num('health-port'),
    ...(typeof metricsPort === 'number' ? { metricsPort } : {}),
    leaderElection: v['leader-elect'] === true,
    leaseNamespace: String(v['lease-namespace']),
    leaseName: String(v['lease-name']),
    leaseDurationMs: num('lease-duration-seconds') * 1000,
    renewDeadlineMs: num('renew-deadline-seconds') * 1000,
    retryPeriodMs: num('retry-period-seconds') * 1000,
    workers: num('workers'),
  };
}
