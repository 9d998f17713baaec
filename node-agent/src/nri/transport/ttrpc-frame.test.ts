import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  MessageType,
  TTRPC_HEADER_BYTES,
  TTRPC_MAX_DATA_BYTES,
  TtrpcFrameDecoder,
  encodeTtrpcFrame,
} from './ttrpc-frame.js';

describe('ttrpc frame codec', () => {
  it('encodes the 10-byte big-endian header', () => {
    const out = encodeTtrpcFrame({
      streamId: 3,
      type: MessageType.Request,
      flags: 0,
      data: Buffer.from('abc'),
    });
    expect([...out.subarray(0, TTRPC_HEADER_BYTES)]).toEqual([0, 0, 0, 3, 0, 0, 0, 3, 1, 0]);
    expect(out.subarray(TTRPC_HEADER_BYTES).toString()).toBe('abc');
  });

  it.each([1, 3, 7, 4096, 100_000])('reassembles frames fed in %i-byte chunks', (chunk) => {
    const frames = [0, 1, 5000, 20].map((n, i) => ({
      streamId: 2 * i + 1,
      type: MessageType.Response,
      flags: 0,
      data: randomBytes(n),
    }));
    const stream = Buffer.concat(frames.map(encodeTtrpcFrame));
    const decoder = new TtrpcFrameDecoder();
    const got = [];
    for (let i = 0; i < stream.length; i += chunk) {
      const r = decoder.push(stream.subarray(i, i + chunk));
      if (!r.ok) throw r.error;
      got.push(...r.value);
    }
    expect(got.map((f) => [f.streamId, f.type, Buffer.from(f.data).toString('hex')])).toEqual(
      frames.map((f) => [f.streamId, f.type, f.data.toString('hex')]),
    );
  });

  it.each([
    ['oversized data length', [0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 1, 0], /exceeds/],
    ['unknown message type', [0, 0, 0, 0, 0, 0, 0, 1, 9, 0], /unknown message type 9/],
  ])('rejects %s and stays failed', (_name, header, message) => {
    const decoder = new TtrpcFrameDecoder();
    const r = decoder.push(Buffer.from(header));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
    expect(decoder.push(Buffer.alloc(0)).ok).toBe(false);
  });

  it('refuses to encode more than the 4 MiB limit', () => {
    expect(() =>
      encodeTtrpcFrame({ streamId: 1, type: 1, flags: 0, data: Buffer.alloc(TTRPC_MAX_DATA_BYTES + 1) }),
    ).toThrow(/exceeds/);
  });

  it('fuzz: random and truncated bytes never throw and only yield well-formed frames', () => {
    for (let round = 0; round < 2000; round++) {
      const decoder = new TtrpcFrameDecoder();
      const valid = encodeTtrpcFrame({ streamId: 1, type: 1, flags: 0, data: randomBytes(round % 300) });
      const input =
        round % 2 === 0
          ? randomBytes(round % 97)
          : Buffer.concat([valid.subarray(0, round % valid.length), randomBytes(round % 13)]);
      const r = decoder.push(input);
      if (r.ok) {
        for (const f of r.value) expect([1, 2, 3]).toContain(f.type);
      } else {
        expect(r.error).toBeInstanceOf(Error);
      }
    }
  });
});
