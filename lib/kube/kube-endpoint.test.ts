import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import {
  defaultKubeconfigPath,
  endpointFromKubeconfig,
  inClusterEndpoint,
  kubeEndpoint,
  loadKubeconfigFile,
} from './kube-endpoint.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(user: object, cluster: object = { server: 'https://10.0.0.1:6443' }): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'main',
    contexts: [
      { name: 'other', context: { cluster: 'nope', user: 'nope' } },
      { name: 'main', context: { cluster: 'c', user: 'u' } },
    ],
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-kube-endpoint-'));
  await writeFile(join(dir, 'ca.crt'), 'CA-FILE');
  await writeFile(join(dir, 'token'), 'file-token\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function optionsOf(spec: ReturnType<typeof endpointFromKubeconfig>): Promise<https.RequestOptions> {
  const o: https.RequestOptions = {};
  await kubeEndpoint(spec).applyToHTTPSOptions(o);
  return o;
}

describe('endpointFromKubeconfig', () => {
  it.each([
    [
      'client certificate data and CA data',
      kubeconfig(
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
        { server: 'https://s:6443', 'certificate-authority-data': b64('CA') },
      ),
      { ca: 'CA', cert: 'CERT', key: 'KEY', auth: undefined },
    ],
    [
      'a token and a CA file relative to the kubeconfig',
      kubeconfig({ token: 'tok' }, { server: 'https://s:6443', 'certificate-authority': 'ca.crt' }),
      { ca: 'CA-FILE', cert: undefined, key: undefined, auth: 'Bearer tok' },
    ],
    [
      'a tokenFile',
      kubeconfig({ tokenFile: 'token' }),
      { ca: undefined, cert: undefined, key: undefined, auth: 'Bearer file-token' },
    ],
  ])('%s', async (_name, doc, want) => {
    const o = await optionsOf(endpointFromKubeconfig(doc, dir));
    expect({
      ca: o.ca?.toString(),
      cert: o.cert?.toString(),
      key: (o.key as Buffer | undefined)?.toString(),
      auth: (o.headers as Record<string, string> | undefined)?.['Authorization'],
    }).toEqual(want);
  });

  it('takes insecure-skip-tls-verify and tls-server-name from the cluster', async () => {
    const o = await optionsOf(
      endpointFromKubeconfig(
        kubeconfig({}, { server: 'https://s', 'insecure-skip-tls-verify': true, 'tls-server-name': 'api' }),
        dir,
      ),
    );
    expect([o.rejectUnauthorized, o.servername]).toEqual([false, 'api']);
  });

  it.each([
    [
      'exec',
      kubeconfig({ exec: { command: 'x' } }),
      /users\[0\]\.user\.exec: not supported by the node agent/,
    ],
    [
      'auth-provider',
      kubeconfig({ 'auth-provider': { name: 'gcp' } }),
      /users\[0\]\.user\.auth-provider: not supported/,
    ],
    [
      'a certificate without key',
      kubeconfig({ 'client-certificate-data': b64('C') }),
      /users\[0\]\.user: a client certificate needs both/,
    ],
    ['no server', kubeconfig({}, {}), /clusters\[0\]\.cluster\.server: missing/],
    ['an unknown context', { 'current-context': 'x', contexts: [] }, /contexts: no entry named "x"/],
    ['no current context', { contexts: [] }, /current-context: missing/],
    ['a list', [], /not a kubeconfig/],
  ])('refuses %s with the field path', (_name, doc, want) => {
    expect(() => endpointFromKubeconfig(doc, dir)).toThrow(want);
  });
});

describe('loadKubeconfigFile', () => {
  it('reads the current context of a file and names the file in errors', async () => {
    const path = join(dir, 'config');
    await writeFile(path, dump(kubeconfig({ token: 't' }, { server: 'https://k:6443' })));
    expect(loadKubeconfigFile(path).getCurrentCluster()).toEqual({ server: 'https://k:6443' });
    expect(() => loadKubeconfigFile(join(dir, 'missing'))).toThrow(/^kubeconfig .*missing: ENOENT/);
  });
});

describe('inClusterEndpoint', () => {
  it('uses the service host (IPv6 bracketed), port, CA and token', async () => {
    await writeFile(join(dir, 'ca.crt'), 'CA-FILE');
    const e = inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(e.getCurrentCluster()).toEqual({ server: 'https://[fd00::1]:443' });
    const o: https.RequestOptions = {};
    await e.applyToHTTPSOptions(o);
    expect(o.ca?.toString()).toBe('CA-FILE');
    expect(o.headers).toEqual({ Authorization: 'Bearer file-token' });
  });

  it('refuses to run outside a cluster', () => {
    expect(() => inClusterEndpoint({}, dir)).toThrow(/KUBERNETES_SERVICE_HOST\/PORT unset/);
  });

  it('names the file it cannot read', async () => {
    const e = inClusterEndpoint(
      { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' },
      join(dir, 'nope'),
    );
    await expect(e.applyToHTTPSOptions({})).rejects.toThrow(
      /certificate authority: cannot read .*nope\/ca.crt/,
    );
  });
});

describe("defaultKubeconfigPath (kubectl's order)", () => {
  const home = '/home/u';
  const hasHomeConfig = (p: string): boolean => p === '/home/u/.kube/config';
  it.each<[string, string | undefined, Record<string, string>, (p: string) => boolean, string | undefined]>([
    ['the flag wins', '/etc/kc', { KUBECONFIG: '/a' }, hasHomeConfig, '/etc/kc'],
    ['then the first file in $KUBECONFIG', undefined, { KUBECONFIG: ':/a:/b' }, hasHomeConfig, '/a'],
    ['then ~/.kube/config when it exists', undefined, {}, hasHomeConfig, '/home/u/.kube/config'],
    ['else nothing: in-cluster', undefined, { KUBECONFIG: '' }, () => false, undefined],
  ])('%s', (_name, flag, env, exists, want) => {
    expect(defaultKubeconfigPath(flag, env, home, exists)).toBe(want);
  });
});
