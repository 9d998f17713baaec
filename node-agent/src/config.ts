// The node agent's configuration: flags, then environment (KND_<FLAG>), then defaults; parsed once
// at start into a typed object (pure; main.ts logs the effective result). The flag style and the
// parser are shared with the operator (lib/util/flags.ts). Unknown flags and bad values are errors
// naming the flag.
import { flagUsage, parseConfig, type ConfigResult, type FlagSpec } from '../../lib/util/flags.js';
import { LOG_LEVELS } from '../../lib/util/logger.js';
import { DEFAULT_BOOT_ID_PATH, DEFAULT_STATE_DIR } from './plan-store/plan-store.js';
import { DEFAULT_CDI_DIR } from './cdi/cdi-writer.js';

export interface AgentConfig {
  nodeName: string;
  /** Empty: in-cluster service account, else this kubeconfig file. */
  kubeconfig: string;
  kubeletRoot: string;
  stateDir: string;
  bootIdPath: string;
  cdiDir: string;
  sysfsRoot: string;
  /** false: sysfs only (no `ip` netlink facts / link events). */
  netlink: boolean;
  /** Admin CEL filter for published devices; empty = none. */
  filterCel: string;
  /** Comma-separated virtual link kinds to publish (e.g. "veth,macvlan"); empty = none. */
  optInVirtual: string;
  /** Publish ResourceSlices for discovered devices. */
  publish: boolean;
  /** Taint unhealthy devices in the slices (docs/health.md). */
  healthTaints: boolean;
  /** How long a device must be healthy again before its taint goes. */
  healthTaintHoldMs: number;
  nri: boolean;
  nriSocket: string;
  /** No effect since the claim informer was removed; accepted so existing manifests keep working. */
  claimCache: boolean;
  metricsHost: string;
  /** 0 = ephemeral (tests); the chosen port is logged. */
  metricsPort: number;
  logLevel: string;
}

/** Every flag of the agent; the key in AgentConfig is the camelCase flag name. */
export const AGENT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'node-name',
    kind: 'string',
    required: true,
    envAliases: ['NODE_NAME'],
    help: "this node's name; also the ResourceSlice pool name",
  },
  {
    name: 'kubeconfig',
    kind: 'string',
    default: '',
    envAliases: ['KUBECONFIG'],
    unsetMeans: 'in-cluster',
    help: 'kubeconfig file; empty: the in-cluster service account',
  },
  {
    name: 'kubelet-root',
    kind: 'string',
    default: '/var/lib/kubelet',
    help: "the kubelet's --root-dir (plugin sockets live below it)",
  },
  { name: 'state-dir', kind: 'string', default: DEFAULT_STATE_DIR, help: 'durable plans and attach records' },
  {
    name: 'boot-id-path',
    kind: 'string',
    default: DEFAULT_BOOT_ID_PATH,
    help: 'boot id source (entries of another boot are dropped)',
  },
  {
    name: 'cdi-dir',
    kind: 'string',
    default: DEFAULT_CDI_DIR,
    help: 'where the per-claim CDI specs are written',
  },
  { name: 'sysfs-root', kind: 'string', default: '/sys', help: 'sysfs to discover devices from' },
  {
    name: 'netlink',
    kind: 'bool',
    default: 'true',
    help: 'netlink facts and link events for discovery (false: sysfs only)',
  },
  {
    name: 'filter-cel',
    kind: 'string',
    default: '',
    help: 'CEL expression a device must match to be published; empty: all',
  },
  {
    name: 'opt-in-virtual',
    kind: 'string',
    default: '',
    help: 'comma-separated virtual link kinds to publish, e.g. veth,macvlan',
  },
  {
    name: 'publish',
    kind: 'bool',
    default: 'true',
    help: 'publish ResourceSlices for the discovered devices',
  },
  {
    name: 'health-taints',
    kind: 'bool',
    default: 'true',
    help: 'taint a device (knd.dev/unhealthy) in its ResourceSlice while its link is unhealthy',
  },
  {
    name: 'health-taint-hold-ms',
    kind: 'int',
    default: '10000',
    min: 0,
    help: 'how long a device must stay healthy before its taint is removed (no flapping)',
  },
  { name: 'nri', kind: 'bool', default: 'true', help: 'run the NRI plugin that attaches devices to pods' },
  { name: 'nri-socket', kind: 'string', default: '/var/run/nri/nri.sock', help: "the runtime's NRI socket" },
  {
    name: 'claim-cache',
    kind: 'bool',
    default: 'true',
    help: 'no effect, accepted for existing manifests (the agent GETs each claim it prepares; no informer)',
  },
  {
    name: 'metrics-host',
    kind: 'string',
    default: '127.0.0.1',
    help: 'address of the /metrics, /healthz, /readyz server (the agent runs in the host network: loopback keeps it off every network; the chart sets the node IP for Prometheus)',
  },
  {
    name: 'metrics-port',
    kind: 'port',
    default: '9477',
    help: 'port of that server; 0: any free port (logged)',
  },
  {
    name: 'log-level',
    kind: 'string',
    default: 'info',
    choices: LOG_LEVELS,
    help: 'log level of the JSON logs',
  },
];

export function agentUsage(): string {
  return flagUsage(
    'knd-agent',
    'the knd node agent (discovery, ResourceSlices, DRA kubelet plugin, NRI plugin)',
    AGENT_FLAGS,
  );
}

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Flags, then KND_* environment variables, then defaults (lib/util/flags.ts). */
export function parseAgentConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult<AgentConfig> {
  return parseConfig(
    AGENT_FLAGS,
    argv,
    env,
    (v) => Object.fromEntries(AGENT_FLAGS.map((f) => [camel(f.name), v[f.name]])) as unknown as AgentConfig,
  );
}
