import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import { claimNamesOfPod, podClaimSource, reservedPods, type PodClaimsJson } from './pod-claims.js';

describe('claimNamesOfPod', () => {
  it.each<[string, PodClaimsJson, string[]]>([
    ['no claims', { spec: {} }, []],
    [
      'a shared claim by name and a template claim generated for the pod',
      {
        spec: {
          resourceClaims: [
            { name: 'a', resourceClaimName: 'shared' },
            { name: 'b' }, // resourceClaimTemplateName: the name is in the status
          ],
        },
        status: { resourceClaimStatuses: [{ name: 'b', resourceClaimName: 'pod-b-x7k2' }] },
      },
      ['pod-b-x7k2', 'shared'],
    ],
    [
      'a template claim not generated (null in status) and empty names',
      {
        spec: { resourceClaims: [{ name: 'b', resourceClaimName: '' }] },
        status: { resourceClaimStatuses: [{ name: 'b', resourceClaimName: null }] },
      },
      [],
    ],
  ])('%s', (_n, pod, want) => {
    expect([...claimNamesOfPod(pod)].sort()).toEqual(want);
  });
});

describe('reservedPods', () => {
  it('keeps core pods with a name and uid only', () => {
    expect(
      reservedPods({
        status: {
          reservedFor: [
            { resource: 'pods', name: 'p', uid: 'u1' },
            { resource: 'pods', uid: 'u2' },
            { apiGroup: 'example.com', resource: 'widgets', name: 'w', uid: 'u3' },
          ],
        },
      }),
    ).toEqual([{ name: 'p', uid: 'u1' }]);
  });
});

describe('podClaimSource', () => {
  const api = (answer: unknown) => {
    const paths: string[] = [];
    return {
      paths,
      get<T>(path: string): Promise<T> {
        paths.push(path);
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer as T);
      },
    };
  };
  const pod = {
    metadata: { uid: 'u1' },
    spec: { resourceClaims: [{ name: 'a', resourceClaimName: 'shared' }] },
  };

  it('reads the pod once and answers its claim names when the uid matches', async () => {
    const a = api(pod);
    expect([...(await podClaimSource(a).claimNames('ns', 'p', 'u1'))]).toEqual(['shared']);
    expect(a.paths).toEqual(['/api/v1/namespaces/ns/pods/p']);
  });

  it('answers no names for a recreated pod (other uid) or a pod that is gone', async () => {
    expect((await podClaimSource(api(pod)).claimNames('ns', 'p', 'u-old')).size).toBe(0);
    const gone = api(new KubeApiError(404, 'NotFound', 'pods "p" not found'));
    expect((await podClaimSource(gone).claimNames('ns', 'p', 'u1')).size).toBe(0);
  });

  it('rejects any other error (the caller then checks every prepared claim)', async () => {
    const denied = api(new KubeApiError(403, 'Forbidden', 'pods "p" is forbidden'));
    await expect(podClaimSource(denied).claimNames('ns', 'p', 'u1')).rejects.toThrow('forbidden');
  });
});
