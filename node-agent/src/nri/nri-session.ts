// One NRI connection ("session") to the runtime: mux the socket, serve the Plugin service on
// connection 1, register on connection 2.
//
// Contract: called by the reconnect loop (nri-plugin.ts) with a freshly connected socket.
// RegisterPlugin must reach the runtime within its registration timeout (5 s default), so the
// call uses registrationTimeoutMs and is not retried here; a failed registration closes the
// session and the loop reconnects with backoff. The returned promise settles when the trunk
// closes, for any reason (runtime restart, protocol error, stop()); it never rejects.
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../lib/util/logger.js';
import { RUNTIME_SERVICE_CONN, PLUGIN_SERVICE_CONN } from './transport/mux-frame.js';
import { Mux } from './transport/mux.js';
import { encodeNri } from './nri-messages.js';
import type { NriProto } from './nri-proto.js';
import { NRI_RUNTIME_SERVICE } from './nri-proto.js';
import { TtrpcClient } from './transport/ttrpc-client.js';
import type { ServiceTable } from './transport/ttrpc-server.js';
import { serveTtrpc } from './transport/ttrpc-server.js';

export interface SessionOptions {
  proto: NriProto;
  services: ServiceTable;
  pluginName: string;
  pluginIdx: string;
  registrationTimeoutMs: number;
  logger: Logger;
}

export interface Session {
  /** Resolves once RegisterPlugin succeeded; rejects if it failed (the session is then closed). */
  registered: Promise<void>;
  /** Resolves with the close reason (undefined: clean end of stream). */
  closed: Promise<Error | undefined>;
  close(reason?: Error): void;
  client: TtrpcClient;
}

export function startSession(socket: Duplex, opts: SessionOptions): Session {
  const mux = new Mux(socket);
  const closeOn = (e: Error): void => {
    opts.logger.warn('nri protocol error; closing connection', { error: e.message });
    mux.close(e);
  };
  serveTtrpc(mux.open(PLUGIN_SERVICE_CONN), {
    proto: opts.proto,
    services: opts.services,
    logger: opts.logger,
    onProtocolError: closeOn,
  });
  const client = new TtrpcClient(mux.open(RUNTIME_SERVICE_CONN), opts.proto, closeOn);
  void mux.closed.then((reason) => {
    client.close(reason ?? new Error('nri connection closed'));
  });
  const registered = client
    .call(
      NRI_RUNTIME_SERVICE,
      'RegisterPlugin',
      encodeNri(opts.proto, 'RegisterPluginRequest', {
        plugin_name: opts.pluginName,
        plugin_idx: opts.pluginIdx,
      }),
      { timeoutMs: opts.registrationTimeoutMs },
    )
    .then(
      () => undefined,
      (e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        mux.close(error);
        throw error;
      },
    );
  return {
    registered,
    closed: mux.closed,
    close: (reason) => {
      mux.close(reason);
    },
    client,
  };
}
