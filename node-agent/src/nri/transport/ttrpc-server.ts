// ttrpc server for unary methods on one logical connection (containerd/ttrpc server.go,
// services.go).
//
// Contract: the runtime (containerd) is the client and calls Plugin methods on mux connection 1.
// Each request is answered exactly once with the same stream id. Unknown service -> code 12
// UNIMPLEMENTED "service X"; unknown method -> code 12 "method X" (NRI >= v0.12 runtimes rely on
// code 12 to fall back to StateChange). A request envelope that does not decode, a reused or even
// stream id -> INVALID_ARGUMENT. A handler failure is mapped once by errorToStatus. A malformed
// ttrpc frame closes the connection (via onProtocolError), never the process. Handlers must finish
// well within the runtime's request timeout (2 s default); the server does not retry.
import type { Logger } from '../../../../lib/util/logger.js';
import type { TtrpcCodec } from './ttrpc-codec.js';
import type { MuxConn } from './mux.js';
import { MessageType, TtrpcFrameDecoder, encodeTtrpcFrame } from './ttrpc-frame.js';
import { Code, errorToStatus } from './ttrpc-status.js';

export interface CallContext {
  service: string;
  method: string;
  /** Remaining deadline the client sent, in ms (undefined when none). */
  timeoutMs: number | undefined;
  metadata: { key: string; value: string }[];
}

export type UnaryHandler = (payload: Uint8Array, ctx: CallContext) => Promise<Uint8Array>;
export type ServiceTable = ReadonlyMap<string, ReadonlyMap<string, UnaryHandler>>;

interface RequestEnvelope {
  service: string;
  method: string;
  payload: Uint8Array;
  timeout_nano: number;
  metadata: { key: string; value: string }[];
}

export interface TtrpcServerOptions {
  proto: TtrpcCodec;
  services: ServiceTable;
  logger: Logger;
  /** Called once when the byte stream is malformed; the owner closes the trunk. */
  onProtocolError: (error: Error) => void;
}

export function serveTtrpc(conn: MuxConn, opts: TtrpcServerOptions): void {
  const decoder = new TtrpcFrameDecoder();
  let lastStreamId = 0;
  let failed = false;

  const respond = (streamId: number, code: number, message: string, payload?: Uint8Array): void => {
    if (conn.isClosed) return;
    const body = opts.proto.encode('ttrpc.Response', {
      status: { code, message },
      ...(payload && code === Code.OK ? { payload } : {}),
    });
    conn.write(encodeTtrpcFrame({ streamId, type: MessageType.Response, flags: 0, data: body }));
  };

  const dispatch = async (streamId: number, data: Uint8Array): Promise<void> => {
    let req: RequestEnvelope;
    try {
      req = opts.proto.decode('ttrpc.Request', data) as unknown as RequestEnvelope;
    } catch (e) {
      respond(streamId, Code.INVALID_ARGUMENT, `unmarshal request: ${errorToStatus(e).message}`);
      return;
    }
    const service = opts.services.get(req.service);
    if (!service) {
      respond(streamId, Code.UNIMPLEMENTED, `service ${req.service}`);
      return;
    }
    const handler = service.get(req.method);
    if (!handler) {
      respond(streamId, Code.UNIMPLEMENTED, `method ${req.method}`);
      return;
    }
    const ctx: CallContext = {
      service: req.service,
      method: req.method,
      timeoutMs: req.timeout_nano > 0 ? req.timeout_nano / 1e6 : undefined,
      metadata: req.metadata,
    };
    try {
      const out = await handler(req.payload, ctx);
      respond(streamId, Code.OK, '', out);
    } catch (e) {
      const status = errorToStatus(e);
      opts.logger.warn('ttrpc handler failed', { method: req.method, ...status });
      respond(streamId, status.code, status.message);
    }
  };

  conn.onData((bytes) => {
    if (failed) return;
    const result = decoder.push(bytes);
    if (!result.ok) {
      failed = true;
      opts.onProtocolError(result.error);
      return;
    }
    for (const frame of result.value) {
      if (frame.type !== MessageType.Request) {
        // Unary-only server: Data frames belong to streams we never accept; Responses are a peer bug.
        if (frame.type === MessageType.Response) {
          failed = true;
          opts.onProtocolError(
            new Error(`ttrpc server received a response frame (stream ${frame.streamId})`),
          );
          return;
        }
        continue;
      }
      if (frame.streamId % 2 === 0 || frame.streamId <= lastStreamId) {
        respond(frame.streamId, Code.INVALID_ARGUMENT, `invalid stream id ${frame.streamId}`);
        continue;
      }
      lastStreamId = frame.streamId;
      void dispatch(frame.streamId, frame.data).catch((e: unknown) => {
        // respond() itself failed (trunk closed between checks): report, never throw.
        opts.logger.warn('ttrpc respond failed', { error: errorToStatus(e).message });
      });
    }
  });
}
