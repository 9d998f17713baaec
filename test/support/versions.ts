/**
 * The versions of the real peers the tests run against, read from the one place that names them
 * (test/cluster/versions.sh, also sourced by the cluster scripts); an environment variable of the
 * same name overrides each, as it does for the scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** test/cluster/versions.sh, found from here whether this runs from the tree or compiled in dist/. */
function versionsFile(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'cluster', 'versions.sh');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir)
      throw new Error(`test/cluster/versions.sh not found above ${import.meta.dirname}`);
  }
}

/** `NAME=${NAME:-default}` lines of versions.sh -> default by name. */
export function parseVersionDefaults(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^([A-Z_]+)=\$\{\1:-([^}]*)\}$/gm)) {
    out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

let defaults: Map<string, string> | undefined;

/** The value of a versions.sh variable: the environment's, else the file's default. */
export function versionOf(name: string): string {
  const fromEnv = process.env[name];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = versionsFile();
  defaults ??= parseVersionDefaults(readFileSync(file, 'utf8'));
  const v = defaults.get(name);
  if (v === undefined) throw new Error(`${name} is not defined in ${file}`);
  return v;
}

/** The Kubernetes release of the control plane under test (e.g. v1.37.2). */
export function kubeVersion(): string {
  return versionOf('KND_KUBE_VERSION');
}

/** The kubelet's release on the node tier (the control plane's unless a skew case sets another). */
export function kubeletVersion(): string {
  return process.env['KND_KUBELET_VERSION'] || kubeVersion();
}

function cacheDir(): string {
  return process.env['KND_CACHE_DIR'] || join(homedir(), '.cache', 'knd');
}

/** Path of a binary built by test/cluster/build.sh, e.g. cachedBinary('kube', 'kubectl'). */
export function cachedBinary(
  component: 'kube' | 'helm' | 'etcd' | 'containerd' | 'crictl',
  binary: string,
): string {
  const variable = `KND_${component.toUpperCase()}_VERSION`;
  return join(cacheDir(), `${component}-${versionOf(variable)}`, 'bin', binary);
}
