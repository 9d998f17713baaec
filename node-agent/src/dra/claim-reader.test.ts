// The claim reader: one GET of exactly the named claim (path checked, never a list URL), errors
// passed through, and sameClaim's view of gone and recreated claims.
import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import { ClaimReader, claimPath, sameClaim } from './claim-reader.js';
import type { ResourceClaim } from './claim-types.js';

describe('claimPath', () => {
  it.each([
    ['default', 'net', '/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/net'],
    [
      'team-a',
      'pod-1-net-x7k2q',
      '/apis/resource.k8s.io/v1/namespaces/team-a/resourceclaims/pod-1-net-x7k2q',
    ],
    ['a', 'b.c', '/apis/resource.k8s.io/v1/namespaces/a/resourceclaims/b.c'],
  ])('%s/%s', (ns, name, want) => {
    expect(claimPath(ns, name)).toBe(want);
  });
  it.each([
    ['', 'net', 'claim reference: namespace "" is not a DNS label'],
    ['default', '', 'claim reference: name "" is not a DNS subdomain'],
    ['default', 'a/b', 'claim reference: name "a/b" is not a DNS subdomain'],
    ['default', '..', 'claim reference: name ".." is not a DNS subdomain'],
    ['Default', 'net', 'claim reference: namespace "Default" is not a DNS label'],
    ['a.b', 'net', 'claim reference: namespace "a.b" is not a DNS label'],
    ['x'.repeat(64), 'net', `claim reference: namespace "${'x'.repeat(64)}" is not a DNS label`],
  ])('refuses %j/%j', (ns, name, error) => {
    expect(() => claimPath(ns, name)).toThrow(error);
  });
});

function fakeApi(answers: Map<string, ResourceClaim | Error>) {
  const paths: string[] = [];
  return {
    paths,
    get<T>(path: string): Promise<T> {
      paths.push(path);
      const v = answers.get(path);
      if (v === undefined) return Promise.reject(new KubeApiError(404, 'NotFound', `GET ${path}: 404`));
      return v instanceof Error ? Promise.reject(v) : Promise.resolve(v as T);
    },
  };
}

const P = '/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/';
const net: ResourceClaim = { metadata: { namespace: 'default', name: 'net', uid: 'u1' } };

describe('ClaimReader', () => {
  it('GETs the one claim and counts the read', async () => {
    const api = fakeApi(new Map([[`${P}net`, net]]));
    const r = new ClaimReader(api);
    expect(await r.get('default', 'net')).toEqual(net);
    expect(api.paths).toEqual([`${P}net`]);
    expect(r.reads).toBe(1);
  });

  it('passes API errors through and refuses a bad reference without a request', async () => {
    const api = fakeApi(new Map([[`${P}down`, new Error('GET down: no response within 800 ms')]]));
    const r = new ClaimReader(api);
    await expect(r.get('default', 'down')).rejects.toThrow('no response within 800 ms');
    await expect(r.get('default', '')).rejects.toThrow('claim reference: name "" is not a DNS subdomain');
    expect(api.paths).toEqual([`${P}down`]);
  });
});

describe('sameClaim', () => {
  const api = fakeApi(
    new Map<string, ResourceClaim | Error>([
      [`${P}net`, net],
      [`${P}down`, new KubeApiError(503, 'ServiceUnavailable', 'GET down: 503')],
    ]),
  );
  const r = new ClaimReader(api);
  it.each([
    ['the same claim', { namespace: 'default', name: 'net', uid: 'u1' }, net],
    ['a recreated claim (other uid)', { namespace: 'default', name: 'net', uid: 'u0' }, undefined],
    ['a deleted claim (404)', { namespace: 'default', name: 'gone', uid: 'u2' }, undefined],
  ])('%s', async (_n, ref, want) => {
    expect(await sameClaim(r, ref)).toEqual(want);
  });
  it('rejects on other errors', async () => {
    await expect(sameClaim(r, { namespace: 'default', name: 'down', uid: 'u3' })).rejects.toThrow('503');
  });
});
