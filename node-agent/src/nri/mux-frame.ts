// NRI connection multiplexing framing (containerd/nri:pkg/net/multiplex; protocols.md §2(b)).
// Pure: splits one ttrpc message into mux frames, and reassembles mux frames from a byte stream.
//
// Contract: the writer emits, per ttrpc message, exactly the frame pattern a Go peer with a
// 4096-byte bufio.Writer produces, because the Go reader reads each logical connection through a
// 4096-byte bufio.Reader and its mux conn.Read fails (ENOMEM) when a frame is larger than the
// caller's buffer: frame A = the first min(len, 4096) bytes; then, if bytes remain, all of them as
// one frame. Two ttrpc messages are never merged into one mux frame. The reader never throws; a
// protocol violation (connection id 0, oversized payload) is an error value and the caller closes
// the trunk.
import type { Result } from '../../../lib/util/result.js';
import { err, ok } from '../../../lib/util/result.js';

export const MUX_HEADER_BYTES = 8;
/** The Go reader's buffer: bufio.NewReader default size. */
export const MUX_SPLIT_BYTES = 4096;
/** Largest payload accepted on read: the v0.3.0 writer cap (1 << 24) covers the newer 10 + 4 MiB cap. */
export const MUX_MAX_PAYLOAD_BYTES = 1 << 24;

export const PLUGIN_SERVICE_CONN = 1;
export const RUNTIME_SERVICE_CONN = 2;

export interface MuxFrame {
  connId: number;
  payload: Buffer;
}

function encodeOne(connId: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MUX_HEADER_BYTES + payload.length);
  out.writeUInt32BE(connId >>> 0, 0);
  out.writeUInt32BE(payload.length, 4);
  out.set(payload, MUX_HEADER_BYTES);
  return out;
}

/** Mux frames for one whole ttrpc message (header + data), following the split rule above. */
export function encodeMuxFrames(connId: number, ttrpcMessage: Uint8Array): Buffer[] {
  if (connId === 0) throw new Error('encode mux frame: connection id 0 is reserved');
  const first = ttrpcMessage.subarray(0, Math.min(ttrpcMessage.length, MUX_SPLIT_BYTES));
  const frames = [encodeOne(connId, first)];
  if (ttrpcMessage.length > MUX_SPLIT_BYTES) {
    frames.push(encodeOne(connId, ttrpcMessage.subarray(MUX_SPLIT_BYTES)));
  }
  return frames;
}

/** Reassembles mux frames from the trunk byte stream. */
export class MuxFrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private failed: Error | undefined;

  push(bytes: Uint8Array): Result<MuxFrame[]> {
    if (this.failed) return err(this.failed);
    this.buffer = this.buffer.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buffer, bytes]);
    const frames: MuxFrame[] = [];
    let offset = 0;
    for (;;) {
      if (this.buffer.length - offset < MUX_HEADER_BYTES) break;
      const connId = this.buffer.readUInt32BE(offset);
      const length = this.buffer.readUInt32BE(offset + 4);
      if (connId === 0) return this.fail('mux frame uses reserved connection id 0');
      if (length > MUX_MAX_PAYLOAD_BYTES) {
        return this.fail(`mux frame payload ${length} bytes exceeds ${MUX_MAX_PAYLOAD_BYTES}`);
      }
      if (this.buffer.length - offset - MUX_HEADER_BYTES < length) break;
      const start = offset + MUX_HEADER_BYTES;
      frames.push({ connId, payload: Buffer.from(this.buffer.subarray(start, start + length)) });
      offset = start + length;
    }
    this.buffer = offset === 0 ? this.buffer : Buffer.from(this.buffer.subarray(offset));
    return ok(frames);
  }

  private fail(message: string): Result<never> {
    this.failed = new Error(message);
    this.buffer = Buffer.alloc(0);
    return err(this.failed);
  }
}
