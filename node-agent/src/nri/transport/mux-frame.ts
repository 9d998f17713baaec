// NRI connection multiplexing framing (containerd/nri:pkg/net/multiplex).
// Pure: splits one ttrpc message into mux frames, and reassembles mux frames from a byte stream.
//
// Contract: the writer emits, per ttrpc message, exactly the frame pattern a Go peer with a
// 4096-byte bufio.Writer produces, because the Go reader reads each logical connection through a
// 4096-byte bufio.Reader and its mux conn.Read fails (ENOMEM) when a frame is larger than the
// caller's buffer: frame A = the first min(len, 4096) bytes; then, if bytes remain, all of them as
// one frame. Two ttrpc messages are never merged into one mux frame, so no frame from a conforming
// peer is larger than one ttrpc message (10-byte header + 4 MiB data). The reader never throws; a
// protocol violation (connection id 0, a payload larger than that) is an error value, reported as
// soon as the header arrives (before buffering the payload), and the caller closes the trunk. The
// reader copies each payload byte once (byte-queue.ts), so decoding is linear in the bytes read.
import type { Result } from '../../../../lib/util/result.js';
import { err, ok } from '../../../../lib/util/result.js';
import { ByteQueue } from './byte-queue.js';
import { TTRPC_HEADER_BYTES, TTRPC_MAX_DATA_BYTES } from './ttrpc-frame.js';

export const MUX_HEADER_BYTES = 8;
/** The Go reader's buffer: bufio.NewReader default size. */
export const MUX_SPLIT_BYTES = 4096;
/** Largest payload accepted on read: one whole ttrpc message (the split rule never merges two). */
export const MUX_MAX_PAYLOAD_BYTES = TTRPC_HEADER_BYTES + TTRPC_MAX_DATA_BYTES;

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
  private readonly queue = new ByteQueue();
  private failed: Error | undefined;

  /** Payload bytes copied so far (each exactly once; tests check decoding stays linear). */
  get copiedBytes(): number {
    return this.queue.copiedBytes;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  push(bytes: Uint8Array): Result<MuxFrame[]> {
    if (this.failed) return err(this.failed);
    this.queue.push(bytes);
    const frames: MuxFrame[] = [];
    while (this.queue.length >= MUX_HEADER_BYTES) {
      const connId = this.queue.readUInt32BE(0);
      const length = this.queue.readUInt32BE(4);
      if (connId === 0) return this.fail('mux frame uses reserved connection id 0');
      if (length > MUX_MAX_PAYLOAD_BYTES) {
        return this.fail(
          `mux frame payload ${length} bytes exceeds ${MUX_MAX_PAYLOAD_BYTES} (one ttrpc message: ${TTRPC_HEADER_BYTES}-byte header + ${TTRPC_MAX_DATA_BYTES} bytes)`,
        );
      }
      if (this.queue.length < MUX_HEADER_BYTES + length) break;
      this.queue.skip(MUX_HEADER_BYTES);
      frames.push({ connId, payload: this.queue.take(length) });
    }
    return ok(frames);
  }

  private fail(message: string): Result<never> {
    this.failed = new Error(message);
    this.queue.clear();
    return err(this.failed);
  }
}
