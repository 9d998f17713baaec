// NRI connection multiplexer over one Unix stream socket (the "trunk").
//
// Contract: the owner (nri-session.ts) creates one Mux per connected socket and opens the logical
// connections it serves or calls (1 = plugin service, 2 = runtime service). Frames for ids nobody
// opened are dropped, as the Go mux does. Any malformed frame, socket error or end of stream closes
// the whole trunk exactly once; `closed` then resolves with the reason (undefined on a clean end).
// Nothing here throws into the event loop, so a hostile peer cannot crash the process.
import type { Duplex } from 'node:stream';
import { MuxFrameDecoder, encodeMuxFrames } from './mux-frame.js';

export interface MuxConn {
  readonly connId: number;
  /** Send one whole ttrpc message (header + data) using the 4096-byte split rule. */
  write(ttrpcMessage: Uint8Array): void;
  /** Set the receiver of this connection's byte stream (mux frame payloads in order). */
  onData(receiver: (bytes: Buffer) => void): void;
  readonly isClosed: boolean;
}

export class Mux {
  readonly closed: Promise<Error | undefined>;
  private readonly decoder = new MuxFrameDecoder();
  private readonly receivers = new Map<number, (bytes: Buffer) => void>();
  private resolveClosed: (reason: Error | undefined) => void = () => undefined;
  private done = false;

  private readonly socket: Duplex;

  constructor(socket: Duplex) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => {
      this.onChunk(chunk);
    });
    socket.on('error', (e: Error) => {
      this.close(e);
    });
    socket.on('end', () => {
      this.close(undefined);
    });
    socket.on('close', () => {
      this.close(undefined);
    });
  }

  get isClosed(): boolean {
    return this.done;
  }

  open(connId: number): MuxConn {
    const isClosed = (): boolean => this.done;
    return {
      connId,
      write: (message: Uint8Array) => {
        if (this.done) throw new Error(`write mux connection ${connId}: trunk closed`);
        for (const frame of encodeMuxFrames(connId, message)) this.socket.write(frame);
      },
      onData: (receiver) => {
        this.receivers.set(connId, receiver);
      },
      get isClosed() {
        return isClosed();
      },
    };
  }

  /** Close the trunk (idempotent). */
  close(reason: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    this.receivers.clear();
    this.socket.destroy();
    this.resolveClosed(reason);
  }

  private onChunk(chunk: Buffer): void {
    if (this.done) return;
    const result = this.decoder.push(chunk);
    if (!result.ok) {
      this.close(result.error);
      return;
    }
    for (const frame of result.value) {
      if (this.done) return;
      const receiver = this.receivers.get(frame.connId);
      if (!receiver) continue;
      try {
        receiver(frame.payload);
      } catch (e) {
        this.close(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
