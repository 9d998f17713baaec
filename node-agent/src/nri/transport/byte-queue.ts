// A FIFO of received bytes for the stream decoders (mux-frame.ts, ttrpc-frame.ts). Pure.
//
// Contract: push() keeps a reference to each chunk (no copy; the caller must not modify it after);
// take(n) copies exactly n bytes out once, into a fresh buffer, and drops the chunks it consumed. So
// every byte is copied once however the stream is chunked: decoding is linear in the bytes received,
// where re-concatenating the buffer on every read is quadratic (16 MiB in 64 KiB reads: 256 reads
// re-copying up to 16 MiB each). Reading a header never copies. Never throws for reads within
// `length`; the decoders check `length` first.

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  private size = 0;
  private copied = 0;

  /** Bytes buffered and not yet taken. */
  get length(): number {
    return this.size;
  }

  /** Bytes copied out by take() since creation: what makes "linear" checkable in tests. */
  get copiedBytes(): number {
    return this.copied;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    this.size += bytes.length;
  }

  /** Big-endian uint32 at `offset` from the read position (offset + 4 <= length). */
  readUInt32BE(offset: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + this.byteAt(offset + i);
    return v;
  }

  /** Byte at `offset` from the read position (offset < length). */
  byteAt(offset: number): number {
    let at = this.head + offset;
    for (const c of this.chunks) {
      if (at < c.length) return c[at] ?? 0;
      at -= c.length;
    }
    throw new RangeError(`byte queue: offset ${offset} beyond ${this.size} buffered bytes`);
  }

  /** Drop n bytes (n <= length) without copying them. */
  skip(n: number): void {
    this.consume(n, undefined);
  }

  /** Remove and return the next n bytes (n <= length), copied once into a fresh buffer. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.consume(n, out);
    this.copied += n;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }

  private consume(n: number, into: Buffer | undefined): void {
    if (n > this.size) throw new RangeError(`byte queue: ${n} bytes requested, ${this.size} buffered`);
    let done = 0;
    let drop = 0;
    while (done < n) {
      const c = this.chunks[drop] as Buffer;
      const count = Math.min(c.length - this.head, n - done);
      into?.set(c.subarray(this.head, this.head + count), done);
      done += count;
      if (this.head + count === c.length) {
        drop++;
        this.head = 0;
      } else {
        this.head += count;
      }
    }
    if (drop > 0) this.chunks.splice(0, drop);
    this.size -= n;
  }
}
