// ttrpc framing (containerd/ttrpc PROTOCOL.md, channel.go; shared/reference/protocols.md §2(a)).
// Pure: encodes one frame, and reassembles frames from an arbitrary chunking of the byte stream.
//
// Contract: the decoder is fed every byte of one logical connection in order. It never throws for
// short input (it waits for more); it returns an error value for a frame that breaks the protocol
// (unknown type, data longer than the 4 MiB limit). After an error the stream is unusable: the
// caller closes the connection (never the process).
import type { Result } from '../../../lib/util/result.js';
import { err, ok } from '../../../lib/util/result.js';

export const TTRPC_HEADER_BYTES = 10;
/** containerd/ttrpc messageLengthMax: 4 << 20. */
export const TTRPC_MAX_DATA_BYTES = 4 << 20;

export const MessageType = { Request: 1, Response: 2, Data: 3 } as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

export interface TtrpcFrame {
  streamId: number;
  type: MessageTypeValue;
  flags: number;
  data: Uint8Array;
}

export function encodeTtrpcFrame(frame: TtrpcFrame): Buffer {
  if (frame.data.length > TTRPC_MAX_DATA_BYTES) {
    throw new Error(`encode ttrpc frame: data ${frame.data.length} bytes exceeds ${TTRPC_MAX_DATA_BYTES}`);
  }
  const out = Buffer.allocUnsafe(TTRPC_HEADER_BYTES + frame.data.length);
  out.writeUInt32BE(frame.data.length, 0);
  out.writeUInt32BE(frame.streamId >>> 0, 4);
  out.writeUInt8(frame.type, 8);
  out.writeUInt8(frame.flags & 0xff, 9);
  out.set(frame.data, TTRPC_HEADER_BYTES);
  return out;
}

function isMessageType(v: number): v is MessageTypeValue {
  return v === 1 || v === 2 || v === 3;
}

/** Reassembles ttrpc frames from a byte stream chunked arbitrarily. */
export class TtrpcFrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private failed: Error | undefined;

  /** Append bytes; returns every complete frame, or the first protocol error. */
  push(bytes: Uint8Array): Result<TtrpcFrame[]> {
    if (this.failed) return err(this.failed);
    if (bytes.length > 0) {
      this.chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      this.bufferedBytes += bytes.length;
    }
    const frames: TtrpcFrame[] = [];
    for (;;) {
      if (this.bufferedBytes < TTRPC_HEADER_BYTES) return ok(frames);
      const head = this.peek(TTRPC_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      const streamId = head.readUInt32BE(4);
      const type = head.readUInt8(8);
      const flags = head.readUInt8(9);
      if (length > TTRPC_MAX_DATA_BYTES) {
        return this.fail(`ttrpc frame data ${length} bytes exceeds ${TTRPC_MAX_DATA_BYTES}`);
      }
      if (!isMessageType(type)) return this.fail(`ttrpc frame has unknown message type ${type}`);
      if (this.bufferedBytes < TTRPC_HEADER_BYTES + length) return ok(frames);
      const whole = this.take(TTRPC_HEADER_BYTES + length);
      frames.push({ streamId, type, flags, data: whole.subarray(TTRPC_HEADER_BYTES) });
    }
  }

  private fail(message: string): Result<never> {
    this.failed = new Error(message);
    this.chunks = [];
    this.bufferedBytes = 0;
    return err(this.failed);
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged.subarray(0, n);
  }

  private take(n: number): Buffer {
    const merged =
      this.chunks.length === 1 ? (this.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.chunks);
    const out = Buffer.from(merged.subarray(0, n));
    const rest = merged.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}
