// An rtnetlink socket, optionally inside another network namespace, over the project's N-API addon
// (node-agent/native/knd_netlink.c: open / transact / close, nothing else).
//
// Contract: callers are the netns ops in this folder. request() frames one message, sends it and
// resolves with the reply messages of that sequence number (dump parts, or nothing for a plain
// ACK); it rejects with NetlinkError (errno name + the kernel's extended-ACK text) when the kernel
// refuses, or with a timeout error after timeoutMs (default 10 s; the netns move takes ~20 ms).
// Requests on one socket are serialised (one in flight). No retries here: a retry of a kernel
// change is the caller's decision. close() is idempotent.
// listen(groups, onMessages, onError) turns the socket into a notification subscriber instead (no
// more requests on it): every batch of multicast messages the kernel queues is decoded and handed to
// onMessages on the event loop (no thread, no polling); onError gets receive errors, notably ENOBUFS
// when the kernel dropped notifications (the subscriber must then resynchronise by other means).
// close() ends the subscription.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NetlinkError,
  decodeMessages,
  encodeMessage,
  parseErrorMessage,
  type NlMessage,
} from './netlink-codec.js';
import type { RtRequest } from './rtnl-encode.js';

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

/** The addon's surface (see knd_netlink.c). */
export interface NativeNetlink {
  open(protocol: number, netnsPath: string | null): number;
  transact(fd: number, request: Buffer, seq: number, timeoutMs: number): Promise<Buffer>;
  transactSync(fd: number, request: Buffer, seq: number, timeoutMs: number): Buffer;
  close(fd: number): void;
  /** mount(source, target, MS_BIND): the netns pins (netns-pins.ts). */
  bindMount(source: string, target: string): void;
  /** umount2(target, MNT_DETACH); err.code EINVAL when target is not a mount point. */
  unmountDetach(target: string): void;
  /** NETLINK_ADD_MEMBERSHIP for each group (RTNLGRP_* numbers). */
  subscribe(fd: number, groups: readonly number[]): void;
  /** Call back on the event loop with every datagram pending when fd is readable (uv_poll). */
  watch(fd: number, callback: (err: NodeJS.ErrnoException | null, datagrams?: Buffer) => void): void;
  /** Stop watch(fd); a no-op when fd is not watched. */
  unwatch(fd: number): void;
}

const ADDON_RELATIVE = join('node-agent', 'native', 'build', 'Release', 'knd_netlink.node');

/** Walk up from this module (src or dist layout) to the repository root holding the built addon. */
export function findAddon(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  const env = process.env.KND_NETLINK_ADDON;
  if (env !== undefined && env !== '') return env;
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, ADDON_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(
    `the netlink addon ${ADDON_RELATIVE} is not built (searched up from ${startDir}): run \`npm run build:native\` (needs python3, make, g++)`,
  );
}

let loaded: NativeNetlink | undefined;

export function loadNativeNetlink(path: string = findAddon()): NativeNetlink {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  loaded = require(path) as NativeNetlink;
  return loaded;
}

let nextSeq = (Date.now() & 0x7fffffff) >>> 0;

export interface NetlinkSocketOptions {
  /** Network namespace path; undefined = the agent's own namespace. */
  netnsPath?: string;
  protocol?: number;
  timeoutMs?: number;
  native?: NativeNetlink;
}

export class NetlinkSocket {
  private fd: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private listening = false;
  private readonly native: NativeNetlink;
  private readonly timeoutMs: number;
  readonly netnsPath: string | undefined;

  constructor(opts: NetlinkSocketOptions = {}) {
    this.native = opts.native ?? loadNativeNetlink();
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.netnsPath = opts.netnsPath;
    this.fd = this.native.open(opts.protocol ?? NETLINK_ROUTE, opts.netnsPath ?? null);
  }

  /** Send one request; resolve with the reply messages (without the final ACK/DONE). */
  request(req: RtRequest, what: string): Promise<NlMessage[]> {
    const run = this.queue.then(() => this.transact(req, what));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transact(req: RtRequest, what: string): Promise<NlMessage[]> {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${what}: netlink socket is closed`);
    if (this.listening) throw new Error(`${what}: the socket is a notification subscriber`);
    nextSeq = (nextSeq + 1) >>> 0 || 1;
    const seq = nextSeq;
    const dump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const flags = NLM_F_REQUEST | req.flags | (dump ? 0 : NLM_F_ACK);
    const bytes = encodeMessage({ type: req.type, flags, seq, pid: 0 }, req.body);
    // Only a netns move and a link delete sleep in the kernel (~20 ms, RCU waits in the device
    // unregister): they go to the thread pool. Every other request is answered in microseconds and
    // runs inline, saving two thread hand-offs.
    const reply = sleepsInKernel(req)
      ? await this.native.transact(fd, bytes, seq, this.timeoutMs)
      : this.native.transactSync(fd, bytes, seq, this.timeoutMs);
    return collectReply(decodeMessages(reply), seq, what);
  }

  /**
   * Subscribe to multicast `groups` (RTNLGRP_*) and hand each batch of notifications to
   * onMessages; receive errors (ENOBUFS: notifications were dropped) go to onError. The socket
   * takes no requests afterwards. Throws when the socket is closed or already listening.
   */
  listen(
    groups: readonly number[],
    onMessages: (msgs: NlMessage[]) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error('listen: netlink socket is closed');
    if (this.listening) throw new Error('listen: the socket is already listening');
    this.native.subscribe(fd, groups);
    this.native.watch(fd, (err, datagrams) => {
      if (err) {
        onError(err);
        return;
      }
      if (!datagrams) return;
      let msgs: NlMessage[];
      try {
        msgs = decodeMessages(datagrams);
      } catch (e) {
        onError(e as NodeJS.ErrnoException);
        return;
      }
      onMessages(msgs);
    });
    this.listening = true;
  }

  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    if (this.listening) this.native.unwatch(fd);
    this.listening = false;
    this.native.close(fd);
  }
}

/** A request the kernel answers only after an RCU grace period: a netns move or RTM_DELLINK. */
export function sleepsInKernel(req: RtRequest): boolean {
  return isNetnsMove(req) || req.type === 17;
}

/**
 * An RTM_NEWLINK of an existing link carrying IFLA_NET_NS_FD (type 28) as its first attribute, as
 * setLink() encodes it. Creating a link in another namespace (CREATE) is not a move.
 */
export function isNetnsMove(req: RtRequest): boolean {
  return (
    req.type === 16 &&
    (req.flags & NLM_F_CREATE) === 0 &&
    req.body.length >= 20 &&
    req.body.readUInt16LE(18) === 28
  );
}

/** The messages answering `seq`; throws NetlinkError on an error ACK or an interrupted dump. */
export function collectReply(msgs: NlMessage[], seq: number, what: string): NlMessage[] {
  const out: NlMessage[] = [];
  for (const m of msgs) {
    if (m.seq !== seq) continue;
    if (m.type === NLMSG_ERROR) {
      const err = parseErrorMessage(m);
      if (err.errno !== 0) throw new NetlinkError(what, err.errno, err.message);
      return out;
    }
    if (m.type === NLMSG_DONE) {
      if ((m.flags & NLM_F_DUMP_INTR) !== 0) throw new NetlinkError(`${what} (dump interrupted)`, 4);
      return out;
    }
    out.push(m);
  }
  throw new Error(`${what}: reply ended without ACK or DONE`);
}
