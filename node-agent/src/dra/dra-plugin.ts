// The kubelet-facing DRA plugin: two gRPC servers on unix sockets.
//
// Contract (the kubelet's DRA plugin API, kubernetes/kubelet pkg/apis/dra and pluginregistration):
// - DRA socket `<kubeletRoot>/plugins/<driver>/dra.sock` serves k8s.io.kubelet.pkg.apis.dra.v1 and
//   .v1beta1 DRAPlugin (one implementation; v1beta1 ignores Device.share_id). It listens BEFORE the
//   registration socket exists, because the kubelet dials the endpoint right after GetInfo.
// - Registration socket `<kubeletRoot>/plugins_registry/<driver>-reg.sock` serves
//   pluginregistration.Registration for the process lifetime (the kubelet's plugin watcher finds it
//   by fsnotify, and re-registers us after its own restart by walking the directory). GetInfo is
//   cheap and constant. NotifyRegistrationStatus(false) is logged and counted, never fatal.
// - Binding retries with backoff forever (e.g. the kubelet root not mounted yet); start() resolves
//   once both sockets listen. Sockets 0600 in 0700 directories; stale socket files are replaced.
// - A malformed request fails that call (INVALID_ARGUMENT), never the process.
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { retry } from '../../../lib/util/backoff.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { ClaimRequest } from './claim-types.js';
import { loadDraServices } from './dra-protos.js';
import type { DraMetrics } from './dra-metrics.js';
import type { DraHandler } from './prepare-handler.js';
import type { HealthBroadcaster } from './device-health.js';
import { bindUnix, removeSocket, shutdownServer, type SocketDir } from './unix-socket.js';

export const DEFAULT_KUBELET_ROOT = '/var/lib/kubelet';
export const SUPPORTED_VERSIONS = ['v1.DRAPlugin', 'v1beta1.DRAPlugin'] as const;
/** Newest first: a 1.37+ kubelet picks v1, older ones know only v1alpha1 (same messages). */
export const HEALTH_SERVICE_VERSIONS = ['v1.DRAResourceHealth', 'v1alpha1.DRAResourceHealth'] as const;

export interface DraPluginOptions {
  driverName: string;
  kubeletRoot?: string;
  handler: DraHandler;
  logger: Logger;
  metrics?: DraMetrics;
  /** Bind retry backoff. Defaults 500 ms .. 30 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * NIC health for DRAResourceHealth/NodeWatchResources (v1 and v1alpha1); when set the service is served
   * and advertised. Each stream gets the full list at once, on every change, and every
   * healthResendIntervalMs (default 30 000) so the kubelet never times devices out.
   */
  health?: HealthBroadcaster;
  healthResendIntervalMs?: number;
  /** Proto directory (default: found upward from this module). */
  protoDir?: string;
}

export interface DraPluginPaths {
  draSocket: string;
  registrationSocket: string;
}

export function draPluginPaths(kubeletRoot: string, driverName: string): DraPluginPaths {
  return {
    draSocket: join(kubeletRoot, 'plugins', driverName, 'dra.sock'),
    registrationSocket: join(kubeletRoot, 'plugins_registry', `${driverName}-reg.sock`),
  };
}

export interface DraPlugin {
  readonly paths: DraPluginPaths;
  /** Resolves when both sockets listen (after retries). */
  readonly ready: Promise<void>;
  /** Last NotifyRegistrationStatus from the kubelet, if any. */
  registration(): { registered: boolean; error: string } | undefined;
  stop(graceMs?: number): Promise<void>;
}

interface WireClaim {
  namespace?: string;
  uid?: string;
  name?: string;
}

/**
 * Wire claims -> typed requests. Only a claim without uid rejects the whole call (the answer is
 * keyed by uid, so it cannot be answered alone); a claim without namespace or name is passed on
 * with empty strings and fails alone (DraHandler.prepare says which field is missing).
 */
export function parseClaims(claims: unknown): ClaimRequest[] | string {
  if (!Array.isArray(claims)) return 'claims: must be a list';
  const out: ClaimRequest[] = [];
  for (const [i, c] of (claims as (WireClaim | null)[]).entries()) {
    if (typeof c !== 'object' || c === null || !c.uid) return `claims[${i}].uid: required`;
    out.push({ namespace: c.namespace ?? '', uid: c.uid, name: c.name ?? '' });
  }
  return out;
}

export function startDraPlugin(opts: DraPluginOptions): DraPlugin {
  const services = loadDraServices(opts.protoDir);
  const log = opts.logger;
  const paths = draPluginPaths(opts.kubeletRoot ?? DEFAULT_KUBELET_ROOT, opts.driverName);
  const abort = new AbortController();
  let lastStatus: { registered: boolean; error: string } | undefined;

  const prepare: grpc.handleUnaryCall<{ claims?: unknown }, unknown> = (call, cb) => {
    const claims = parseClaims(call.request.claims);
    if (typeof claims === 'string') {
      cb({ code: grpc.status.INVALID_ARGUMENT, details: claims });
      return;
    }
    opts.handler.prepare(claims).then(
      (res) => {
        cb(null, { claims: Object.fromEntries(res) });
      },
      (err: unknown) => {
        cb({ code: grpc.status.INTERNAL, details: (err as Error).message });
      },
    );
  };
  const unprepare: grpc.handleUnaryCall<{ claims?: unknown }, unknown> = (call, cb) => {
    const claims = parseClaims(call.request.claims);
    if (typeof claims === 'string') {
      cb({ code: grpc.status.INVALID_ARGUMENT, details: claims });
      return;
    }
    opts.handler.unprepare(claims).then(
      (res) => {
        cb(null, { claims: Object.fromEntries(res) });
      },
      (err: unknown) => {
        cb({ code: grpc.status.INTERNAL, details: (err as Error).message });
      },
    );
  };
  const draImpl = { NodePrepareResources: prepare, NodeUnprepareResources: unprepare };

  const draServer = new grpc.Server();
  draServer.addService(services.draV1, draImpl);
  draServer.addService(services.draV1beta1, draImpl);

  const health = opts.health;
  const streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  if (health) {
    const healthImpl = {
      NodeWatchResources: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const send = (): void => {
          if (!call.cancelled && call.writable) call.write({ devices: health.current() });
        };
        const unsubscribe = health.subscribe(send);
        const timer = setInterval(send, opts.healthResendIntervalMs ?? 30_000);
        streams.add(call);
        const done = (): void => {
          streams.delete(call);
          unsubscribe();
          clearInterval(timer);
        };
        call.on('cancelled', done);
        call.on('close', done);
        call.on('error', done);
        send();
      },
    };
    draServer.addService(services.healthV1, healthImpl);
    draServer.addService(services.healthV1alpha1, healthImpl);
  }
  const supportedVersions: string[] = [...SUPPORTED_VERSIONS, ...(health ? HEALTH_SERVICE_VERSIONS : [])];

  const regServer = new grpc.Server();
  regServer.addService(services.registration, {
    GetInfo: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
      cb(null, {
        type: 'DRAPlugin',
        name: opts.driverName,
        endpoint: paths.draSocket,
        supported_versions: supportedVersions,
      });
    },
    NotifyRegistrationStatus: (
      call: grpc.ServerUnaryCall<{ plugin_registered?: boolean; error?: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const registered = call.request.plugin_registered === true;
      lastStatus = { registered, error: call.request.error ?? '' };
      opts.metrics?.registrations.inc({ registered: String(registered) });
      if (registered) log.info('kubelet registered the DRA plugin', { endpoint: paths.draSocket });
      else log.error('kubelet rejected the DRA plugin registration', { error: lastStatus.error });
      cb(null, {});
    },
  });

  async function bindWithRetry(
    server: grpc.Server,
    path: string,
    dir: SocketDir,
    what: string,
  ): Promise<void> {
    await retry(() => bindUnix(server, path, dir), {
      backoff: { baseMs: opts.initialBackoffMs ?? 500, maxMs: opts.maxBackoffMs ?? 30_000 },
      signal: abort.signal,
      onRetry: ({ delayMs, error }) => {
        log.warn(`${what} socket bind failed; retrying`, { path, error: (error as Error).message, delayMs });
      },
    });
    log.info(`${what} socket listening`, { path });
  }

  const ready = (async () => {
    await bindWithRetry(draServer, paths.draSocket, 'own', 'DRA');
    // plugins_registry belongs to the kubelet: its mode is left alone
    await bindWithRetry(regServer, paths.registrationSocket, 'shared', 'registration');
  })().catch((err: unknown) => {
    // stop() before the sockets could be bound ends the retries: not an error of the caller's
    if (!abort.signal.aborted) throw err;
  });

  return {
    paths,
    ready,
    registration: () => lastStatus,
    async stop(graceMs = 5000) {
      abort.abort();
      await ready.catch(() => undefined);
      // registration first: the kubelet's watcher sees the plugin go before its endpoint does
      await shutdownServer(regServer, graceMs);
      await removeSocket(paths.registrationSocket);
      for (const call of streams) call.end();
      await shutdownServer(draServer, graceMs);
      await removeSocket(paths.draSocket);
    },
  };
}
