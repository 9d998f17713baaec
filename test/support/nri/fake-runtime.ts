// Test runtime peer: the containerd side of NRI (serves Runtime on mux connection 2, calls
// Plugin on connection 1) over a real Unix socket, built from knd's own codec. For unit tests of
// the plugin's state machine, and for driving the agent process's hooks where no kernel work is
// involved (the shared-claim lookup in test/integration/dra-plugin.test.ts and
// bench/shared-claim-hook.ts); protocol compatibility is proven against real containerd in
// test/e2e/nri-runtime.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/util/logger.js';
import {
  PLUGIN_SERVICE_CONN,
  RUNTIME_SERVICE_CONN,
} from '../../../node-agent/src/nri/transport/mux-frame.js';
import { Mux } from '../../../node-agent/src/nri/transport/mux.js';
import { decodeNri, encodeNri } from '../../../node-agent/src/nri/nri-messages.js';
import type {
  Encodable,
  Messages,
  NriMessageName,
  RegisterPluginRequest,
} from '../../../node-agent/src/nri/nri-messages.js';
import type { NriProto } from '../../../node-agent/src/nri/nri-proto.js';
import {
  NRI_PLUGIN_SERVICE,
  NRI_RUNTIME_SERVICE,
  loadNriProto,
} from '../../../node-agent/src/nri/nri-proto.js';
import { TtrpcClient } from '../../../node-agent/src/nri/transport/ttrpc-client.js';
import { serveTtrpc } from '../../../node-agent/src/nri/transport/ttrpc-server.js';

export interface FakeRuntimeConnection {
  registration: RegisterPluginRequest;
  /** Call a Plugin method with its request and response message names (typed by them). */
  call<Q extends NriMessageName, R extends NriMessageName>(
    method: string,
    requestType: Q,
    request: Encodable<Messages[Q]>,
    responseType: R,
  ): Promise<Messages[R]>;
  close(): void;
  closed: Promise<Error | undefined>;
}

export class FakeRuntime {
  readonly socketPath: string;
  readonly proto: NriProto = loadNriProto();
  private readonly dir: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private waiters: ((c: FakeRuntimeConnection) => void)[] = [];
  private readonly pendingConns: FakeRuntimeConnection[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'knd-nri-fake-'));
    this.socketPath = join(this.dir, 'nri.sock');
  }

  listen(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.accept(socket);
    });
    const server = this.server;
    return new Promise((resolve) => server.listen(this.socketPath, resolve));
  }

  /** The next plugin connection that registered. */
  nextConnection(): Promise<FakeRuntimeConnection> {
    const ready = this.pendingConns.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stop listening and drop every connection (a runtime restart). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    const mux = new Mux(socket);
    const client = new TtrpcClient(mux.open(PLUGIN_SERVICE_CONN), this.proto, (e) => {
      mux.close(e);
    });
    void mux.closed.then((r) => {
      client.close(r ?? new Error('closed'));
    });
    const proto = this.proto;
    serveTtrpc(mux.open(RUNTIME_SERVICE_CONN), {
      proto,
      logger: silentLogger(),
      onProtocolError: (e) => {
        mux.close(e);
      },
      services: new Map([
        [
          NRI_RUNTIME_SERVICE,
          new Map([
            [
              'RegisterPlugin',
              (payload: Uint8Array) => {
                const registration = decodeNri(proto, 'RegisterPluginRequest', payload);
                const conn: FakeRuntimeConnection = {
                  registration,
                  call: async (method, requestType, request, responseType) => {
                    const out = await client.call(
                      NRI_PLUGIN_SERVICE,
                      method,
                      encodeNri(proto, requestType, request),
                      {
                        timeoutMs: 2000,
                      },
                    );
                    return decodeNri(proto, responseType, out);
                  },
                  close: () => {
                    mux.close(undefined);
                  },
                  closed: mux.closed,
                };
                const waiter = this.waiters.shift();
                // answer RegisterPlugin first, then hand the connection to the test
                setImmediate(() => {
                  if (waiter) waiter(conn);
                  else this.pendingConns.push(conn);
                });
                return Promise.resolve(encodeNri(proto, 'Empty', {}));
              },
            ],
          ]),
        ],
      ]),
    });
  }
}
