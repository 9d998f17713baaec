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
  const predicates = { isNotFound, isConflict, isGone, isInvalid, isRetriable };
  type Name = keyof typeof predicates;
  it.each<[string, unknown, Name[]]>([
    ['404 KubeApiError', new KubeApiError(404, 'NotFound', ''), ['isNotFound']],
    ['404 ApiException', apiException(404), ['isNotFound']],
    ['409', new KubeApiError(409, 'Conflict', ''), ['isConflict', 'isRetriable']],
    ['410 from a watch', watchError(410), ['isGone']],
    ['422', new KubeApiError(422, 'Invalid', ''), ['isInvalid']],
    ['400', new KubeApiError(400, 'BadRequest', ''), ['isInvalid']],
    ['408', new KubeApiError(408, '', ''), ['isRetriable']],
    ['429 ApiException', apiException(429), ['isRetriable']],
    ['503', new KubeApiError(503, '', ''), ['isRetriable']],
    ['403', new KubeApiError(403, 'Forbidden', ''), []],
    ['network error', new Error('ETIMEDOUT'), ['isRetriable']],
  ])('%s', (_name, e, truePredicates) => {
    const got = (Object.keys(predicates) as Name[]).filter((n) => predicates[n](e));
    expect(got).toEqual(truePredicates);
  });
});
