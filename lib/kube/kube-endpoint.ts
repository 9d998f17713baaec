// Where and how to reach the Kubernetes API: the small part of a kubeconfig the node agent needs,
// without @kubernetes/client-node (whose KubeConfig module loads the library's ~2,500 generated
// model classes: ~70 MB of RSS, more than half of the agent's idle footprint; docs/dra-plugin.md,
// "Memory").
//
// Contract:
// - Callers: the node agent's and the operator's main (their KubeRestClient instances). Tests may
//   pass client-node's KubeConfig, which has the same two methods (KubeEndpoint, rest-client.ts).
// - defaultEndpoint(flag, env, home): the kubeconfig named by the flag, else the first file in
//   $KUBECONFIG, else ~/.kube/config when it exists, else in-cluster (kubectl's order).
// - loadKubeconfigFile(path): the current context's cluster (server, certificate-authority(-data),
//   insecure-skip-tls-verify, tls-server-name) and user (client-certificate(-data) + client-key(-data),
//   token, tokenFile). Relative file paths are relative to the kubeconfig's directory, like kubectl.
//   Anything else a user entry may carry (exec, auth-provider, username/password) is refused with an
//   error naming the field, instead of being ignored into anonymous requests.
// - inClusterEndpoint(): KUBERNETES_SERVICE_HOST/PORT, the service account's ca.crt and token.
// - Files are read when applyToHTTPSOptions is called (KubeRestClient: once per client, at
//   construction); errors reject with the file and the field.
import { readFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import type * as https from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The two KubeConfig methods the REST client uses; client-node's KubeConfig has them too. */
export interface KubeEndpoint {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

type Source = { data: string } | { file: string };

export interface EndpointSpec {
  server: string;
  ca?: Source;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  clientCert?: Source;
  clientKey?: Source;
  token?: Source;
}

async function read(s: Source | undefined, what: string): Promise<Buffer | undefined> {
  if (!s) return undefined;
  if ('data' in s) return Buffer.from(s.data, 'base64');
  try {
    return await readFile(s.file);
  } catch (err) {
    throw new Error(`${what}: cannot read ${s.file}: ${(err as Error).message}`);
  }
}

/** A KubeEndpoint from a resolved spec (files read at applyToHTTPSOptions). */
export function kubeEndpoint(spec: EndpointSpec): KubeEndpoint {
  return {
    getCurrentCluster: () => ({ server: spec.server }),
    async applyToHTTPSOptions(o) {
      // one after the other, so the first missing file is always the one reported
      const ca = await read(spec.ca, 'certificate authority');
      const cert = await read(spec.clientCert, 'client certificate');
      const key = await read(spec.clientKey, 'client key');
      const token = await read(spec.token, 'token');
      if (ca) o.ca = ca;
      if (cert) o.cert = cert;
      if (key) o.key = key;
      if (spec.insecureSkipTlsVerify) o.rejectUnauthorized = false;
      if (spec.tlsServerName) o.servername = spec.tlsServerName;
      if (token) {
        o.headers = {
          ...(o.headers as OutgoingHttpHeaders | undefined),
          Authorization: `Bearer ${token.toString('utf8').trim()}`,
        };
      }
    },
  };
}

/** The in-cluster service account's endpoint. */
export function inClusterEndpoint(
  env: NodeJS.ProcessEnv = process.env,
  saDir = SERVICE_ACCOUNT_DIR,
): KubeEndpoint {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig');
  }
  return kubeEndpoint({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: { file: join(saDir, 'ca.crt') },
    token: { file: join(saDir, 'token') },
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`${path}.${key}: must be a string`);
  return v;
}

function named(doc: Obj, list: string, item: string, name: string): { entry: Obj; path: string } {
  const arr = doc[list];
  if (!Array.isArray(arr)) throw new Error(`${list}: missing`);
  const i = arr.findIndex((e) => isObj(e) && e['name'] === name);
  const e: unknown = arr[i];
  if (i < 0 || !isObj(e)) throw new Error(`${list}: no entry named ${JSON.stringify(name)}`);
  const entry = e[item];
  if (!isObj(entry)) throw new Error(`${list}[${i}].${item}: missing`);
  return { entry, path: `${list}[${i}].${item}` };
}

/** Resolve a parsed kubeconfig (its current context); `baseDir` anchors relative file paths. */
export function endpointFromKubeconfig(doc: unknown, baseDir: string): EndpointSpec {
  if (!isObj(doc)) throw new Error('not a kubeconfig (expected a mapping)');
  const ctxName = str(doc, 'current-context', '');
  if (!ctxName) throw new Error('current-context: missing');
  const ctx = named(doc, 'contexts', 'context', ctxName);
  const clusterName = str(ctx.entry, 'cluster', ctx.path);
  if (!clusterName) throw new Error(`${ctx.path}.cluster: missing`);
  const cluster = named(doc, 'clusters', 'cluster', clusterName);
  const server = str(cluster.entry, 'server', cluster.path);
  if (!server) throw new Error(`${cluster.path}.server: missing`);
  const source = (o: Obj, path: string, dataKey: string, fileKey: string): Source | undefined => {
    const data = str(o, dataKey, path);
    if (data) return { data };
    const file = str(o, fileKey, path);
    return file ? { file: isAbsolute(file) ? file : join(baseDir, file) } : undefined;
  };
  const spec: EndpointSpec = { server };
  const ca = source(cluster.entry, cluster.path, 'certificate-authority-data', 'certificate-authority');
  if (ca) spec.ca = ca;
  if (cluster.entry['insecure-skip-tls-verify'] === true) spec.insecureSkipTlsVerify = true;
  const sni = str(cluster.entry, 'tls-server-name', cluster.path);
  if (sni) spec.tlsServerName = sni;
  const userName = str(ctx.entry, 'user', ctx.path);
  if (!userName) return spec;
  const user = named(doc, 'users', 'user', userName);
  for (const unsupported of ['exec', 'auth-provider', 'username', 'password']) {
    if (user.entry[unsupported] !== undefined) {
      throw new Error(
        `${user.path}.${unsupported}: not supported by the node agent; use a client certificate, token or tokenFile`,
      );
    }
  }
  const cert = source(user.entry, user.path, 'client-certificate-data', 'client-certificate');
  const key = source(user.entry, user.path, 'client-key-data', 'client-key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error(`${user.path}: a client certificate needs both its certificate and its key`);
  }
  if (cert && key) {
    spec.clientCert = cert;
    spec.clientKey = key;
  }
  const token = str(user.entry, 'token', user.path);
  const tokenFile = str(user.entry, 'tokenFile', user.path);
  if (token) spec.token = { data: Buffer.from(token).toString('base64') };
  else if (tokenFile) spec.token = { file: isAbsolute(tokenFile) ? tokenFile : join(baseDir, tokenFile) };
  return spec;
}

/** The current context of the kubeconfig file at `path`. Errors name the file and the field. */
export function loadKubeconfigFile(path: string): KubeEndpoint {
  try {
    return kubeEndpoint(endpointFromKubeconfig(load(readFileSync(path, 'utf8')), dirname(path)));
  } catch (err) {
    throw new Error(`kubeconfig ${path}: ${(err as Error).message}`);
  }
}

/** Where the kubeconfig comes from when none was given: kubectl's order, as a pure choice. */
export function defaultKubeconfigPath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  home: string | undefined,
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  if (flag) return flag;
  const first = env['KUBECONFIG']?.split(':').find((p) => p !== '');
  if (first !== undefined) return first;
  const homeConfig = home ? join(home, '.kube', 'config') : undefined;
  return homeConfig !== undefined && exists(homeConfig) ? homeConfig : undefined;
}

/** The endpoint for `--kubeconfig` (or its defaults, defaultKubeconfigPath), else in-cluster. */
export function defaultEndpoint(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  home: string | undefined = env['HOME'],
): KubeEndpoint {
  const path = defaultKubeconfigPath(flag, env, home);
  return path === undefined ? inClusterEndpoint(env) : loadKubeconfigFile(path);
}
