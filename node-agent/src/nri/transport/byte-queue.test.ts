import { describe, expect, it } from '@jest/globals';
import { ByteQueue } from './byte-queue.js';

describe('ByteQueue', () => {
  it('reads headers and takes bytes across chunk boundaries, copying each taken byte once', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([0x01, 0x02]));
    q.push(Buffer.from([0x03]));
    q.push(Buffer.from([0x04, 0x05, 0x06, 0x07]));
    expect(q.length).toBe(7);
    expect(q.readUInt32BE(0)).toBe(0x01020304);
    expect(q.readUInt32BE(3)).toBe(0x04050607);
    q.skip(1);
    expect([...q.take(3)]).toEqual([2, 3, 4]);
    expect(q.length).toBe(3);
    expect(q.byteAt(0)).toBe(5);
    expect([...q.take(3)]).toEqual([5, 6, 7]);
    expect(q.length).toBe(0);
    expect(q.copiedBytes).toBe(6);
  });

  it('returns fresh buffers that do not alias the pushed chunks', () => {
    const q = new ByteQueue();
    const chunk = Buffer.from([1, 2, 3, 4]);
    q.push(chunk);
    const out = q.take(2);
    out[0] = 9;
    expect([...chunk]).toEqual([1, 2, 3, 4]);
    expect([q.byteAt(0), q.byteAt(1)]).toEqual([3, 4]);
  });

  it('refuses reads past what is buffered', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([1, 2, 3]));
    expect(() => q.readUInt32BE(0)).toThrow(RangeError);
    expect(() => q.take(4)).toThrow(RangeError);
    q.clear();
    expect(q.length).toBe(0);
  });

  it('ignores empty chunks', () => {
    const q = new ByteQueue();
    q.push(Buffer.alloc(0));
    q.push(Buffer.from([7]));
    q.push(new Uint8Array(0));
    expect([...q.take(1)]).toEqual([7]);
  });
});
