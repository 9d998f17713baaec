// The node agent's configuration: flags, then environment, then defaults; parsed once at start
// into a typed object (pure; main.ts logs the effective result). Unknown flags and bad values are
// errors naming the flag.
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
  nri: boolean;
  nriSocket: string;
  /** Informer cache for ResourceClaims (false: GET per claim). */
  claimCache: boolean;
  metricsHost: string;
  /** 0 = ephemeral (tests); the chosen port is logged. */
  metricsPort: number;
  logLevel: string;
}

interface FlagSpec {
  key: keyof AgentConfig;
  env: string;
  kind: 'string' | 'bool' | 'port';
  def: string;
}

const FLAGS: Record<string, FlagSpec> = {
  'node-name': { key: 'nodeName', env: 'NODE_NAME', kind: 'string', def: '' },
  kubeconfig: { key: 'kubeconfig', env: 'KUBECONFIG', kind: 'string', def: '' },
  'kubelet-root': { key: 'kubeletRoot', env: 'KND_KUBELET_ROOT', kind: 'string', def: '/var/lib/kubelet' },
  'state-dir': { key: 'stateDir', env: 'KND_STATE_DIR', kind: 'string', def: DEFAULT_STATE_DIR },
  'boot-id-path': { key: 'bootIdPath', env: 'KND_BOOT_ID_PATH', kind: 'string', def: DEFAULT_BOOT_ID_PATH },
  'cdi-dir': { key: 'cdiDir', env: 'KND_CDI_DIR', kind: 'string', def: DEFAULT_CDI_DIR },
  'sysfs-root': { key: 'sysfsRoot', env: 'KND_SYSFS_ROOT', kind: 'string', def: '/sys' },
  netlink: { key: 'netlink', env: 'KND_NETLINK', kind: 'bool', def: 'true' },
  'filter-cel': { key: 'filterCel', env: 'KND_FILTER_CEL', kind: 'string', def: '' },
  'opt-in-virtual': { key: 'optInVirtual', env: 'KND_OPT_IN_VIRTUAL', kind: 'string', def: '' },
  publish: { key: 'publish', env: 'KND_PUBLISH', kind: 'bool', def: 'true' },
  nri: { key: 'nri', env: 'KND_NRI', kind: 'bool', def: 'true' },
  'nri-socket': { key: 'nriSocket', env: 'KND_NRI_SOCKET', kind: 'string', def: '/var/run/nri/nri.sock' },
  'claim-cache': { key: 'claimCache', env: 'KND_CLAIM_CACHE', kind: 'bool', def: 'true' },
  'metrics-host': { key: 'metricsHost', env: 'KND_METRICS_HOST', kind: 'string', def: '0.0.0.0' },
  'metrics-port': { key: 'metricsPort', env: 'KND_METRICS_PORT', kind: 'port', def: '9477' },
  'log-level': { key: 'logLevel', env: 'KND_LOG_LEVEL', kind: 'string', def: 'info' },
};

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; errors: string[] };

export function configUsage(): string {
  return Object.entries(FLAGS)
    .map(([f, s]) => `  --${f}=<${s.kind}>  (env ${s.env}, default ${JSON.stringify(s.def)})`)
    .join('\n');
}

/** `--flag=value` / `--flag value`; booleans accept `--flag`, `--flag=false`, `--no-flag`. */
export function parseAgentConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const raw = new Map<string, string>();
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      errors.push(`unexpected argument ${JSON.stringify(a)}`);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string | undefined = eq > 0 ? a.slice(eq + 1) : undefined;
    if (
      !FLAGS[name] &&
      name.startsWith('no-') &&
      FLAGS[name.slice(3)]?.kind === 'bool' &&
      value === undefined
    ) {
      name = name.slice(3);
      value = 'false';
    }
    const spec = FLAGS[name];
    if (!spec) {
      errors.push(`unknown flag --${name}`);
      continue;
    }
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i] ?? '';
      else {
        errors.push(`--${name}: needs a value`);
        continue;
      }
    }
    raw.set(name, value);
  }
  const out: Record<string, string | number | boolean> = {};
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const v = raw.get(flag) ?? env[spec.env] ?? spec.def;
    const src = raw.has(flag) ? `--${flag}` : env[spec.env] !== undefined ? `$${spec.env}` : `--${flag}`;
    if (spec.kind === 'bool') {
      if (!['true', 'false', '1', '0'].includes(v))
        errors.push(`${src}: must be true or false, got ${JSON.stringify(v)}`);
      out[spec.key] = v === 'true' || v === '1';
    } else if (spec.kind === 'port') {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535)
        errors.push(`${src}: must be a port number 0-65535, got ${JSON.stringify(v)}`);
      out[spec.key] = n;
    } else out[spec.key] = v;
  }
  if (!out['nodeName']) errors.push('--node-name (or $NODE_NAME) is required');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: out as unknown as AgentConfig };
}
