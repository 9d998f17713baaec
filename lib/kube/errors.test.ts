import { describe, expect, it } from '@jest/globals';
import { wrap } from '../util/result.js';
import { httpStatusOf, isConflict, isGone, isInvalid, isNotFound, isRetriable } from './errors.js';
import { KubeApiError } from './rest-client.js';

const apiException = (code: number): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code });
const watchError = (statusCode: number): Error => Object.assign(new Error('watch failed'), { statusCode });

describe('httpStatusOf', () => {
  it.each<[string, unknown, number | undefined]>([
    ['KubeApiError', new KubeApiError(404, 'NotFound', 'gone'), 404],
    ['client-node ApiException', apiException(409), 409],
    ['client-node Watch error', watchError(410), 410],
    ['metav1.Status from a watch ERROR event', { kind: 'Status', code: 410, reason: 'Expired' }, 410],
    ['wrapped KubeApiError', wrap('get node n1', new KubeApiError(404, 'NotFound', 'x')), 404],
    ['twice wrapped ApiException', wrap('a', wrap('b', apiException(503))), 503],
    [
      'errno code (string) is not a status',
      Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      undefined,
    ],
    ['plain Error', new Error('socket hang up'), undefined],
    ['not an object', 'boom', undefined],
    ['null', null, undefined],
  ])('%s', (_name, e, want) => {
    expect(httpStatusOf(e)).toBe(want);
  });
});

describe('predicates', () => {
  it.each<
    [unknown, { notFound: boolean; conflict: boolean; gone: boolean; invalid: boolean; retriable: boolean }]
  >([
    [
      new KubeApiError(404, 'NotFound', ''),
      { notFound: true, conflict: false, gone: false, invalid: false, retriable: false },
    ],
    [apiException(404), { notFound: true, conflict: false, gone: false, invalid: false, retriable: false }],
    [
      new KubeApiError(409, 'Conflict', ''),
      { notFound: false, conflict: true, gone: false, invalid: false, retriable: true },
    ],
    [watchError(410), { notFound: false, conflict: false, gone: true, invalid: false, retriable: false }],
    [
      new KubeApiError(422, 'Invalid', ''),
      { notFound: false, conflict: false, gone: false, invalid: true, retriable: false },
    ],
    [
      new KubeApiError(400, 'BadRequest', ''),
      { notFound: false, conflict: false, gone: false, invalid: true, retriable: false },
    ],
    [
      new KubeApiError(408, '', ''),
      { notFound: false, conflict: false, gone: false, invalid: false, retriable: true },
    ],
    [apiException(429), { notFound: false, conflict: false, gone: false, invalid: false, retriable: true }],
    [
      new KubeApiError(503, '', ''),
      { notFound: false, conflict: false, gone: false, invalid: false, retriable: true },
    ],
    [
      new KubeApiError(403, 'Forbidden', ''),
      { notFound: false, conflict: false, gone: false, invalid: false, retriable: false },
    ],
    [
      new Error('ETIMEDOUT'),
      { notFound: false, conflict: false, gone: false, invalid: false, retriable: true },
    ],
  ])('%s', (e, want) => {
    expect({
      notFound: isNotFound(e),
      conflict: isConflict(e),
      gone: isGone(e),
      invalid: isInvalid(e),
      retriable: isRetriable(e),
    }).toEqual(want);
  });
});
