// startNriPlugin: the node agent's NRI plugin, connected to the runtime as an external plugin and
// kept connected.
//
// Contract: called once by node-agent/src/main.ts. Connects to the runtime's NRI socket, registers
// as `<pluginIdx>-<pluginName>` (default `10-knd`) and serves knd's hooks (knd-hooks.ts) through
// the typed stub, which answers Configure with the event mask derived from them: 0x000F
// (RunPodSandbox, StopPodSandbox, RemovePodSandbox, CreateContainer).
// Retry policy: when the connection cannot be made, registration fails or the runtime goes away
// (containerd restart), it reconnects forever with exponential backoff and jitter
// (initialDelayMs .. maxDelayMs), reset after a session that stayed registered for resetAfterMs.
// The loop never stops silently: every failure is logged, and only stop() ends it.
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { Backoff, sleep as abortableSleep } from '../../../lib/util/backoff.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { NetnsOps } from '../netns/contract.js';
import type { ClaimStatusSink, HandlerDeps, SharedClaimLookup } from './handler-deps.js';
import { KeyedLock } from './keyed-lock.js';
import type { ConfigureRequest } from './nri-messages.js';
import { loadNriProto } from './nri-proto.js';
import { startSession } from './nri-session.js';
import type { Session } from './nri-session.js';
import type { NriPlanStore } from './plan-source.js';
import type { KndHooksOptions } from './knd-hooks.js';
import { kndHooks } from './knd-hooks.js';
import { releaseClaim } from './stop-pod-sandbox.js';
import { stubService } from './stub/stub-service.js';

export const DEFAULT_NRI_SOCKET_PATH = '/var/run/nri/nri.sock';

export interface NriPluginOptions {
  /** The plan store: durable attach plans and attach records (node-agent/src/plan-store/). */
  store: NriPlanStore;
  /** Kernel operations (node-agent/src/netns/). */
  netns: NetnsOps;
  /** KEP-4817 status writer (node-agent/src/status/); must not block. */
  status: ClaimStatusSink;
  /** Shared-claim lookup (DRA side) for pods without a plan; see HandlerDeps.sharedClaims. */
  sharedClaims?: SharedClaimLookup;
  logger: Logger;
  /** Runtime NRI socket. Default /var/run/nri/nri.sock. */
  socketPath?: string;
  /** Plugin name, [a-zA-Z0-9_.+-]+. Default `knd`. */
  pluginName?: string;
  /** Exactly two digits; plugins run in ascending index order. Default `10`. */
  pluginIdx?: string;
  /** Default 5000 (the runtime's default registration timeout). */
  registrationTimeoutMs?: number;
  /** Per pod hook budget; default 75% of the runtime's request timeout from Configure. */
  hookBudgetMs?: number;
  /** First reconnect delay. Default 250. */
  initialDelayMs?: number;
  /** Reconnect delay cap. Default 5000. */
  maxDelayMs?: number;
  /** A session registered this long resets the backoff. Default 10000. */
  resetAfterMs?: number;
  /** Directory holding proto/nri (default: found upward from this module). */
  protoDir?: string;
  /** Injected for tests. */
  dial?: (socketPath: string) => Promise<Duplex>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  nowMs?: () => number;
  onConfigure?: (req: ConfigureRequest) => void;
  onHook?: KndHooksOptions['onHook'];
  onReconciled?: KndHooksOptions['onReconciled'];
  /** Called each time a session registered (true) or ended (false). */
  onConnection?: (connected: boolean) => void;
}

export interface NriPlugin {
  /** Resolves when the first registration succeeded. */
  readonly firstRegistration: Promise<void>;
  isConnected(): boolean;
  /**
   * Detach every device still recorded as attached for the claim (each under its pod's lock).
   * DRA unprepare calls it: the kubelet unprepares a claim only when no pod on this node uses it,
   * so a record left at that point means StopPodSandbox never reached knd (containerd restarted
   * in between, or the agent was down). Throws when a device could not be given back.
   */
  releaseClaim(claimUid: string): Promise<number>;
  /** Close the connection and end the loop. */
  stop(): Promise<void>;
}

const PLUGIN_NAME_RE = /^[a-zA-Z0-9_.+-]+$/;
const PLUGIN_IDX_RE = /^[0-9]{2}$/;

export function validatePluginIdentity(name: string, idx: string): string[] {
  const problems: string[] = [];
  if (!PLUGIN_NAME_RE.test(name)) problems.push(`pluginName: "${name}" must match [a-zA-Z0-9_.+-]+`);
  if (!PLUGIN_IDX_RE.test(idx)) problems.push(`pluginIdx: "${idx}" must be exactly two digits`);
  return problems;
}

export function defaultDial(socketPath: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const onError = (e: Error): void => {
      reject(e);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export function startNriPlugin(options: NriPluginOptions): NriPlugin {
  const pluginName = options.pluginName ?? 'knd';
  const pluginIdx = options.pluginIdx ?? '10';
  const problems = validatePluginIdentity(pluginName, pluginIdx);
  if (problems.length > 0) throw new Error(`startNriPlugin: ${problems.join('; ')}`);
  const socketPath = options.socketPath ?? DEFAULT_NRI_SOCKET_PATH;
  const logger = options.logger.child({ component: 'nri' });
  const proto = loadNriProto(options.protoDir);
  const nowMs = options.nowMs ?? (() => performance.now());
  const dial = options.dial ?? defaultDial;
  const stopping = new AbortController();
  const sleep = options.sleep ?? ((ms: number) => abortableSleep(ms, stopping.signal));
  const deps: HandlerDeps = {
    store: options.store,
    netns: options.netns,
    status: options.status,
    logger,
    podLock: new KeyedLock(),
    nowMs,
    ...(options.sharedClaims ? { sharedClaims: options.sharedClaims } : {}),
  };
  const hooksOpts: KndHooksOptions = { deps };
  if (options.hookBudgetMs !== undefined) hooksOpts.hookBudgetMs = options.hookBudgetMs;
  if (options.onConfigure) hooksOpts.onConfigure = options.onConfigure;
  if (options.onHook) hooksOpts.onHook = options.onHook;
  if (options.onReconciled) hooksOpts.onReconciled = options.onReconciled;
  const backoff = new Backoff({
    baseMs: options.initialDelayMs ?? 250,
    maxMs: options.maxDelayMs ?? 5000,
    random: options.random ?? Math.random,
  });
  const resetAfterMs = options.resetAfterMs ?? 10_000;

  let stopped = false;
  let wakeUp: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    wakeUp = resolve;
  });
  let connected = false;
  let current: Session | undefined;
  let resolveFirst: () => void = () => undefined;
  const firstRegistration = new Promise<void>((resolve) => {
    resolveFirst = resolve;
  });

  const runOnce = async (): Promise<void> => {
    const socket = await dial(socketPath);
    if (stopped) {
      socket.destroy();
      return;
    }
    // Fresh hooks per session: split-sync state must not leak across connections.
    const session = startSession(socket, {
      proto,
      services: stubService(proto, kndHooks(hooksOpts)),
      pluginName,
      pluginIdx,
      registrationTimeoutMs: options.registrationTimeoutMs ?? 5000,
      logger,
    });
    current = session;
    let registeredAt: number | undefined;
    try {
      await session.registered;
      registeredAt = nowMs();
      connected = true;
      logger.info('nri plugin registered', { socketPath, plugin: `${pluginIdx}-${pluginName}` });
      options.onConnection?.(true);
      resolveFirst();
    } catch (e) {
      logger.warn('nri registration failed', { error: e instanceof Error ? e.message : String(e) });
    }
    const reason = await session.closed;
    current = undefined;
    if (connected) {
      connected = false;
      options.onConnection?.(false);
    }
    if (registeredAt !== undefined && nowMs() - registeredAt >= resetAfterMs) backoff.reset();
    if (!stopped) logger.warn('nri connection closed', { reason: reason?.message ?? 'end of stream' });
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await runOnce();
      } catch (e) {
        logger.warn('nri connect failed', { socketPath, error: e instanceof Error ? e.message : String(e) });
      }
      if (stopped) break;
      const delayMs = backoff.next();
      logger.info('nri reconnecting', { delayMs });
      await Promise.race([sleep(delayMs), stopSignal]);
    }
  })();

  return {
    firstRegistration,
    isConnected: () => connected,
    releaseClaim: (claimUid: string) => releaseClaim(deps, claimUid),
    stop: async () => {
      stopped = true;
      stopping.abort();
      wakeUp();
      current?.close(new Error('nri plugin stopped'));
      await loop;
    },
  };
}
