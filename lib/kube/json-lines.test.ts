import { describe, expect, it } from '@jest/globals';
import { JsonLines } from './json-lines.js';

const split = (chunks: (string | Buffer)[]): unknown[] => {
  const j = new JsonLines();
  const out: unknown[] = [];
  for (const c of chunks) out.push(...j.push(typeof c === 'string' ? Buffer.from(c) : c));
  return [...out, ...j.end()];
};

describe('JsonLines', () => {
  const euro = Buffer.from('{"n":"€"}\n');
  it.each<[string, (string | Buffer)[], unknown[]]>([
    ['one document per chunk', ['{"a":1}\n', '{"a":2}\n'], [{ a: 1 }, { a: 2 }]],
    ['two documents in one chunk', ['{"a":1}\n{"a":2}\n'], [{ a: 1 }, { a: 2 }]],
    ['a document cut across three chunks', ['{"ty', 'pe":"AD', 'DED"}\n'], [{ type: 'ADDED' }]],
    ['a multi-byte character cut in half', [euro.subarray(0, 8), euro.subarray(8)], [{ n: '€' }]],
    ['blank lines and CRLF', ['\n{"a":1}\r\n\n'], [{ a: 1 }]],
    ['an unterminated last document', ['{"a":1}\n{"a":2}'], [{ a: 1 }, { a: 2 }]],
    ['nothing', [], []],
  ])('%s', (_name, chunks, want) => {
    expect(split(chunks)).toEqual(want);
  });

  it('rejects a line that is not JSON, quoting it', () => {
    expect(() => split(['{"a":1}\nnot json\n'])).toThrow(/watch stream: a line is not JSON .*: not json/);
  });
});
