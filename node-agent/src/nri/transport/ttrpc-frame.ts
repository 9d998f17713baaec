// ttrpc framing (containerd/ttrpc PROTOCOL.md, channel.go).
// Pure: encodes one frame, and reassembles frames from an arbitrary chunking of the byte stream.
//
// Contract: the decoder is fed every byte of one logical connection in order. It never throws for
// short input (it waits for more); it returns an error value for a frame that breaks the protocol
// (unknown type, data longer than the 4 MiB limit), as soon as the header arrives. After an error
// the stream is unusable: the caller closes the connection (never the process). Each data byte is
// copied once (byte-queue.ts).
import type { Result } from '../../../../lib/util/result.js';
import { err, ok } from '../../../../lib/util/result.js';
import { ByteQueue } from './byte-queue.js';

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
  private readonly queue = new ByteQueue();
  private failed: Error | undefined;

  /** Append bytes; returns every complete frame, or the first protocol error. */
  push(bytes: Uint8Array): Result<TtrpcFrame[]> {
    if (this.failed) return err(this.failed);
    this.queue.push(bytes);
    const frames: TtrpcFrame[] = [];
    while (this.queue.length >= TTRPC_HEADER_BYTES) {
      const length = this.queue.readUInt32BE(0);
      const streamId = this.queue.readUInt32BE(4);
      const type = this.queue.byteAt(8);
      const flags = this.queue.byteAt(9);
      if (length > TTRPC_MAX_DATA_BYTES) {
        return this.fail(`ttrpc frame data ${length} bytes exceeds ${TTRPC_MAX_DATA_BYTES}`);
      }
      if (!isMessageType(type)) return this.fail(`ttrpc frame has unknown message type ${type}`);
      if (this.queue.length < TTRPC_HEADER_BYTES + length) break;
      this.queue.skip(TTRPC_HEADER_BYTES);
      frames.push({ streamId, type, flags, data: this.queue.take(length) });
    }
    return ok(frames);
  }

  private fail(message: string): Result<never> {
    this.failed = new Error(message);
    this.queue.clear();
    return err(this.failed);
  }
}
