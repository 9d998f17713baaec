import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { MUX_HEADER_BYTES, MUX_MAX_PAYLOAD_BYTES, MuxFrameDecoder, encodeMuxFrames } from './mux-frame.js';
import { TTRPC_HEADER_BYTES, TTRPC_MAX_DATA_BYTES } from './ttrpc-frame.js';

describe('mux framing', () => {
  it.each([
    [10, [10]],
    [4096, [4096]],
    [4097, [4096, 1]],
    [8192, [4096, 4096]],
    [10_000, [4096, 5904]],
    [5_000_000, [4096, 4_995_904]],
  ])('splits a %i-byte ttrpc message into frames of %j payload bytes', (size, expected) => {
    const frames = encodeMuxFrames(2, Buffer.alloc(size, 7));
    expect(frames.map((f) => f.readUInt32BE(4))).toEqual(expected);
    expect(frames.every((f) => f.readUInt32BE(0) === 2)).toBe(true);
    expect(frames.map((f) => f.length - MUX_HEADER_BYTES)).toEqual(expected);
  });

  it('never uses connection id 0', () => {
    expect(() => encodeMuxFrames(0, Buffer.alloc(1))).toThrow(/reserved/);
  });

  it.each([1, 5, 8, 9, 4096])('reassembles frames independent of %i-byte read boundaries', (chunk) => {
    const messages = [randomBytes(10), randomBytes(9000), randomBytes(4096)];
    const stream = Buffer.concat(messages.flatMap((m, i) => encodeMuxFrames((i % 2) + 1, m)));
    const decoder = new MuxFrameDecoder();
    const perConn = new Map<number, Buffer[]>();
    for (let i = 0; i < stream.length; i += chunk) {
      const r = decoder.push(stream.subarray(i, i + chunk));
      if (!r.ok) throw r.error;
      for (const f of r.value) perConn.set(f.connId, [...(perConn.get(f.connId) ?? []), f.payload]);
    }
    expect(
      Buffer.concat(perConn.get(1) ?? []).equals(
        Buffer.concat([messages[0] ?? Buffer.alloc(0), messages[2] ?? Buffer.alloc(0)]),
      ),
    ).toBe(true);
    expect(Buffer.concat(perConn.get(2) ?? []).equals(messages[1] ?? Buffer.alloc(1))).toBe(true);
  });

  it.each([
    ['connection id 0', [0, 0, 0, 0, 0, 0, 0, 1, 0xaa], /reserved/],
    ['oversized payload', [0, 0, 0, 1, 0x01, 0x00, 0x00, 0x01], /exceeds/],
  ])('rejects %s', (_n, bytes, message) => {
    const r = new MuxFrameDecoder().push(Buffer.from(bytes));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });

  it('accepts the largest allowed payload length header without data yet', () => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(MUX_MAX_PAYLOAD_BYTES, 4);
    const r = new MuxFrameDecoder().push(head);
    expect(r.ok && r.value.length === 0).toBe(true);
  });

  it('refuses a frame one byte larger than a whole ttrpc message, as soon as its header arrives', () => {
    const head = Buffer.alloc(MUX_HEADER_BYTES);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(TTRPC_HEADER_BYTES + TTRPC_MAX_DATA_BYTES + 1, 4);
    const decoder = new MuxFrameDecoder();
    const r = decoder.push(head);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/payload 4194315 bytes exceeds 4194314/);
    expect(decoder.push(Buffer.alloc(10)).ok).toBe(false);
    expect(MUX_MAX_PAYLOAD_BYTES).toBe(4194314);
  });

  it('decodes 16 MiB arriving in 64 KiB reads in linear time: each payload byte copied once', () => {
    const messages = Array.from({ length: 4 }, (_, i) => Buffer.alloc(MUX_MAX_PAYLOAD_BYTES, i + 1));
    const stream = Buffer.concat(messages.flatMap((m) => encodeMuxFrames(1, m)));
    expect(stream.length).toBeGreaterThan(16 * 1024 * 1024);
    const decoder = new MuxFrameDecoder();
    const payloads: Buffer[] = [];
    let maxBuffered = 0;
    const start = performance.now();
    for (let i = 0; i < stream.length; i += 64 * 1024) {
      const r = decoder.push(stream.subarray(i, i + 64 * 1024));
      if (!r.ok) throw r.error;
      payloads.push(...r.value.map((f) => f.payload));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    const elapsedMs = performance.now() - start;
    expect(Buffer.concat(payloads).equals(Buffer.concat(messages))).toBe(true);
    // Quadratic re-concatenation copied ~64x the stream (512 MiB per 4 MiB frame); now exactly once.
    expect(decoder.copiedBytes).toBe(4 * MUX_MAX_PAYLOAD_BYTES);
    expect(maxBuffered).toBeLessThanOrEqual(MUX_HEADER_BYTES + MUX_MAX_PAYLOAD_BYTES);
    expect(elapsedMs).toBeLessThan(2000); // generous: tens of ms in practice
  });

  it('fuzz: random and truncated bytes never throw', () => {
    for (let round = 0; round < 2000; round++) {
      const decoder = new MuxFrameDecoder();
      const valid = Buffer.concat(encodeMuxFrames(1, randomBytes(round * 7)));
      const input =
        round % 2 === 0
          ? randomBytes(round % 61)
          : valid.subarray(0, Math.floor(valid.length * ((round % 10) / 10)));
      const r = decoder.push(input);
      if (r.ok) for (const f of r.value) expect(f.connId).not.toBe(0);
      else expect(r.error).toBeInstanceOf(Error);
    }
  });
});
