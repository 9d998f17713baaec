// ttrpc server + client over a real Unix socket pair through the mux: status codes, large
// payloads split by the 4096-byte rule, and malformed input closing the trunk (not the process).
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../lib/util/logger.js';
import { Mux } from './mux.js';
import { loadNriProto } from '../nri-proto.js';
import { TtrpcClient } from './ttrpc-client.js';
import { MessageType, encodeTtrpcFrame } from './ttrpc-frame.js';
import { serveTtrpc } from './ttrpc-server.js';
import type { UnaryHandler } from './ttrpc-server.js';
import { Code, TtrpcStatusError } from './ttrpc-status.js';

const proto = loadNriProto();

interface Pair {
  server: Server;
  serverMux: Promise<Mux>;
  clientSocket: Socket;
  dir: string;
}

const pairs: Pair[] = [];

async function pair(methods: Map<string, UnaryHandler>): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'knd-ttrpc-'));
  const path = join(dir, 's.sock');
  let resolveMux: (m: Mux) => void = () => undefined;
  const serverMux = new Promise<Mux>((r) => (resolveMux = r));
  const server = createServer((socket) => {
    const mux = new Mux(socket);
    serveTtrpc(mux.open(1), {
      proto,
      logger: silentLogger(),
      services: new Map([['test.Echo', methods]]),
      onProtocolError: (e) => {
        mux.close(e);
      },
    });
    resolveMux(mux);
  });
  await new Promise<void>((r) => server.listen(path, r));
  const clientSocket = connect(path);
  await new Promise<void>((r) => clientSocket.once('connect', r));
  const p = { server, serverMux, clientSocket, dir };
  pairs.push(p);
  return p;
}

afterEach(async () => {
  for (const p of pairs.splice(0)) {
    p.clientSocket.destroy();
    (await p.serverMux).close(undefined);
    await new Promise<void>((r) =>
      p.server.close(() => {
        r();
      }),
    );
    rmSync(p.dir, { recursive: true, force: true });
  }
});

const echo: UnaryHandler = (payload) => Promise.resolve(payload);

describe('ttrpc over mux', () => {
  it.each([0, 1, 4000, 4096, 70_000])('echoes a %i-byte payload', async (size) => {
    const p = await pair(new Map([['Echo', echo]]));
    const mux = new Mux(p.clientSocket);
    const client = new TtrpcClient(mux.open(1), proto, (e) => {
      mux.close(e);
    });
    const payload = randomBytes(size);
    const out = await client.call('test.Echo', 'Echo', payload, { timeoutMs: 2000 });
    expect(Buffer.from(out).equals(payload)).toBe(true);
  });

  it.each([
    ['unknown service', 'other.Service', 'Echo', Code.UNIMPLEMENTED, 'service other.Service'],
    ['unknown method', 'test.Echo', 'Nope', Code.UNIMPLEMENTED, 'method Nope'],
    ['handler status error', 'test.Echo', 'Fail', Code.FAILED_PRECONDITION, 'no netns'],
    ['handler plain error', 'test.Echo', 'Throw', Code.UNKNOWN, 'boom'],
  ])('%s -> code %#', async (_n, service, method, code, message) => {
    const p = await pair(
      new Map<string, UnaryHandler>([
        ['Echo', echo],
        ['Fail', () => Promise.reject(new TtrpcStatusError(Code.FAILED_PRECONDITION, 'no netns'))],
        ['Throw', () => Promise.reject(new Error('boom'))],
      ]),
    );
    const mux = new Mux(p.clientSocket);
    const client = new TtrpcClient(mux.open(1), proto, (e) => {
      mux.close(e);
    });
    const failure = await client.call(service, method, Buffer.alloc(0), { timeoutMs: 2000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TtrpcStatusError);
    expect((failure as TtrpcStatusError).code).toBe(code);
    expect((failure as TtrpcStatusError).message).toBe(message);
  });

  it('answers concurrent calls on their own stream ids', async () => {
    const p = await pair(
      new Map<string, UnaryHandler>([
        [
          'Slow',
          async (x) =>
            new Promise((r) =>
              setTimeout(() => {
                r(x);
              }, 30),
            ),
        ],
        ['Echo', echo],
      ]),
    );
    const mux = new Mux(p.clientSocket);
    const client = new TtrpcClient(mux.open(1), proto, (e) => {
      mux.close(e);
    });
    const [a, b] = await Promise.all([
      client.call('test.Echo', 'Slow', Buffer.from('slow'), { timeoutMs: 2000 }),
      client.call('test.Echo', 'Echo', Buffer.from('fast'), { timeoutMs: 2000 }),
    ]);
    expect(Buffer.from(a).toString()).toBe('slow');
    expect(Buffer.from(b).toString()).toBe('fast');
  });

  it('rejects a reused stream id with INVALID_ARGUMENT', async () => {
    const p = await pair(new Map([['Echo', echo]]));
    const mux = new Mux(p.clientSocket);
    const conn = mux.open(1);
    const responses: Buffer[] = [];
    conn.onData((b) => responses.push(b));
    const req = proto.encode('ttrpc.Request', {
      service: 'test.Echo',
      method: 'Echo',
      payload: Buffer.from('x'),
    });
    conn.write(encodeTtrpcFrame({ streamId: 5, type: MessageType.Request, flags: 0, data: req }));
    conn.write(encodeTtrpcFrame({ streamId: 5, type: MessageType.Request, flags: 0, data: req }));
    await new Promise((r) => setTimeout(r, 100));
    const all = Buffer.concat(responses);
    const firstLen = all.readUInt32BE(0) + 10;
    const codes = [all.subarray(0, firstLen), all.subarray(firstLen)].map(
      (f) => (proto.decode('ttrpc.Response', f.subarray(10)) as { status: { code: number } }).status.code,
    );
    expect(codes.sort()).toEqual([Code.OK, Code.INVALID_ARGUMENT]);
  });

  it('times out a call the server never answers', async () => {
    const p = await pair(new Map<string, UnaryHandler>([['Hang', () => new Promise(() => undefined)]]));
    const mux = new Mux(p.clientSocket);
    const client = new TtrpcClient(mux.open(1), proto, (e) => {
      mux.close(e);
    });
    await expect(client.call('test.Echo', 'Hang', Buffer.alloc(0), { timeoutMs: 50 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
  });

  it.each([
    ['a mux frame on connection id 0', Buffer.from([0, 0, 0, 0, 0, 0, 0, 2, 1, 2])],
    ['an oversized mux frame', Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])],
    ['a ttrpc frame of unknown type', Buffer.from([0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1, 7, 0])],
    [
      'a response frame sent to the server',
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]),
    ],
  ])('closes the trunk cleanly on %s', async (_n, bytes) => {
    const p = await pair(new Map([['Echo', echo]]));
    p.clientSocket.write(bytes);
    const reason = await (await p.serverMux).closed;
    expect(reason).toBeInstanceOf(Error);
    if (!p.clientSocket.closed) await new Promise((r) => p.clientSocket.once('close', r));
    expect(p.clientSocket.closed).toBe(true);
  });

  it('closes the trunk with the reason on a frame larger than a ttrpc message, and keeps serving others', async () => {
    const p = await pair(new Map([['Echo', echo]]));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(16 << 20, 4); // what the old 16 MiB cap let through
    p.clientSocket.write(head);
    const reason = await (await p.serverMux).closed;
    expect(reason?.message).toMatch(/mux frame payload 16777216 bytes exceeds 4194314/);
    // the process and the listener are fine: a new connection is served
    const q = await pair(new Map([['Echo', echo]]));
    const mux = new Mux(q.clientSocket);
    const client = new TtrpcClient(mux.open(1), proto, (e) => {
      mux.close(e);
    });
    const out = await client.call('test.Echo', 'Echo', Buffer.from('still here'), { timeoutMs: 2000 });
    expect(Buffer.from(out).toString()).toBe('still here');
  });

  it('fuzz: random and truncated byte streams close or idle the trunk, never crash', async () => {
    for (let round = 0; round < 40; round++) {
      const p = await pair(new Map([['Echo', echo]]));
      const valid = Buffer.concat([
        Buffer.from([0, 0, 0, 1]),
        Buffer.alloc(4),
        encodeTtrpcFrame({
          streamId: 1,
          type: 1,
          flags: 0,
          data: proto.encode('ttrpc.Request', {
            service: 'test.Echo',
            method: 'Echo',
            payload: randomBytes(50),
          }),
        }),
      ]);
      valid.writeUInt32BE(valid.length - 8, 4);
      const junk =
        round % 2 === 0 ? randomBytes(1 + round * 13) : valid.subarray(0, 1 + (round % valid.length));
      p.clientSocket.write(junk);
      const mux = await p.serverMux;
      await Promise.race([mux.closed, new Promise((r) => setTimeout(r, 20))]);
      // whether closed (malformed) or waiting for more bytes (truncated), the server is still sane:
      expect(typeof mux.isClosed).toBe('boolean');
    }
  });
});
