// ttrpc client for unary calls on one logical connection (containerd/ttrpc client.go).
//
// Contract: the plugin calls Runtime methods (RegisterPlugin, UpdateContainers) on mux connection
// 2. Stream ids are odd and strictly increasing from 1. Each call has its own timeout (timeoutMs),
// sent to the server as timeout_nano and enforced locally; the client does not retry (the caller
// decides). When the connection closes every pending call is rejected. A malformed frame from the
// server calls onProtocolError (the owner closes the trunk).
import type { TtrpcCodec } from './ttrpc-codec.js';
import type { MuxConn } from './mux.js';
import { MessageType, TtrpcFrameDecoder, encodeTtrpcFrame } from './ttrpc-frame.js';
import { Code, TtrpcStatusError } from './ttrpc-status.js';

interface Pending {
  resolve: (payload: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface ResponseEnvelope {
  status: { code: number; message: string } | null;
  payload: Uint8Array;
}

export class TtrpcClient {
  private nextStreamId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new TtrpcFrameDecoder();
  private closedReason: Error | undefined;

  private readonly conn: MuxConn;
  private readonly proto: TtrpcCodec;
  private readonly onProtocolError: (e: Error) => void;

  constructor(conn: MuxConn, proto: TtrpcCodec, onProtocolError: (e: Error) => void) {
    this.conn = conn;
    this.proto = proto;
    this.onProtocolError = onProtocolError;
    conn.onData((bytes) => {
      this.onBytes(bytes);
    });
  }

  call(
    service: string,
    method: string,
    payload: Uint8Array,
    opts: { timeoutMs: number },
  ): Promise<Uint8Array> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    const body = this.proto.encode('ttrpc.Request', {
      service,
      method,
      payload,
      timeout_nano: opts.timeoutMs * 1e6,
    });
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(streamId);
        reject(
          new TtrpcStatusError(Code.DEADLINE_EXCEEDED, `${method}: no response within ${opts.timeoutMs} ms`),
        );
      }, opts.timeoutMs);
      this.pending.set(streamId, { resolve, reject, timer });
      try {
        this.conn.write(encodeTtrpcFrame({ streamId, type: MessageType.Request, flags: 0, data: body }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(streamId);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Reject every pending call (the trunk closed). Idempotent. */
  close(reason: Error): void {
    this.closedReason ??= reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(id);
    }
  }

  private onBytes(bytes: Buffer): void {
    const result = this.decoder.push(bytes);
    if (!result.ok) {
      this.close(result.error);
      this.onProtocolError(result.error);
      return;
    }
    for (const frame of result.value) {
      if (frame.type !== MessageType.Response) continue;
      const p = this.pending.get(frame.streamId);
      if (!p) continue; // late answer to a call that timed out
      this.pending.delete(frame.streamId);
      clearTimeout(p.timer);
      let res: ResponseEnvelope;
      try {
        res = this.proto.decode('ttrpc.Response', frame.data) as unknown as ResponseEnvelope;
      } catch (e) {
        p.reject(new TtrpcStatusError(Code.INTERNAL, `unmarshal response: ${String(e)}`));
        continue;
      }
      const code = res.status?.code ?? Code.OK;
      if (code !== Code.OK) p.reject(new TtrpcStatusError(code, res.status?.message ?? ''));
      else p.resolve(res.payload);
    }
  }
}
