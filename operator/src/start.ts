// startOperator(options): the whole operator, used by main.ts and by in-process tests/benchmarks.
// Leader election gates the controller: only the Lease holder runs informers and writes. Losing
// the Lease stops the controller at once (exitOnLostLease makes the process exit, as in
// production, so a fresh start re-campaigns with clean caches).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeEndpoint } from '../../lib/kube/kube-endpoint.js';
import { FIELD_MANAGER_OPERATOR } from '../../lib/api/constants.js';
import { LeaderElector } from '../../lib/kube/leader-election.js';
import {
  KubeRestClient,
  WRITE_VERBS,
  resourceOfPath,
  type RequestRecord,
} from '../../lib/kube/rest-client.js';
import type { Logger } from '../../lib/util/logger.js';
import { Controller } from './controller.js';
import { IpamController } from './ipam/ipam-controller.js';
import { startHealthServer } from './http/health-server.js';
import { createOperatorMetrics, type OperatorMetrics } from './operator-metrics.js';

export interface OperatorOptions {
  kubeConfig: KubeEndpoint;
  logger: Logger;
  /** Lease identity; default <hostname>-<random>. */
  identity?: string;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** /healthz /readyz /metrics port; 0 = any free port; undefined = no server. */
  healthPort?: number;
  /** A second port serving the same endpoints (Prometheus scrapes it); omitted or equal: none. */
  metricsPort?: number;
  /** false: act at once without a Lease (a single replica only). Default true. */
  leaderElection?: boolean;
  workers?: number;
  sliceDebounceMs?: number;
  defaultMetrics?: boolean;
  /** Observe every API request (tests count writes). */
  onRequest?: (r: RequestRecord) => void;
  onLostLease?: () => void;
  /** IPPool status and the IPAllocation garbage collector (ipam/ipam-controller.ts). Default on. */
  ipam?: boolean;
  /** Between IPAM passes; default 10 000. */
  ipamPeriodMs?: number;
  /** Age before an allocation without a known claim is checked; default 30 000. */
  ipamGraceMs?: number;
}

export interface RunningOperator {
  identity: string;
  readonly isLeader: boolean;
  readonly hasSynced: boolean;
  metrics: OperatorMetrics;
  healthPort: number | undefined;
  writes: () => number;
  stop(): Promise<void>;
}

export async function startOperator(o: OperatorOptions): Promise<RunningOperator> {
  const identity = o.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  const log = o.logger.child({ component: 'operator', identity });
  const metrics = createOperatorMetrics(o.defaultMetrics ?? false);
  let writes = 0;
  const client = new KubeRestClient(o.kubeConfig, {
    fieldManager: FIELD_MANAGER_OPERATOR,
    onRequest: (r) => {
      metrics.apiRequests.inc({ verb: r.verb, resource: resourceOfPath(r.path), code: String(r.statusCode) });
      if (WRITE_VERBS.has(r.verb) && !r.path.includes('/leases')) writes++;
      o.onRequest?.(r);
    },
  });
  let controller: Controller | undefined;
  let starting: Promise<void> | undefined;
  let ipam: IpamController | undefined;
  let ipamStarting: Promise<void> | undefined;
  const stopIpam = async (): Promise<void> => {
    const i = ipam;
    ipam = undefined;
    if (i) await i.stop();
    await ipamStarting;
  };
  const startController = (): void => {
    metrics.isLeader.set(1);
    if (o.ipam !== false) {
      const i = new IpamController({
        client,
        logger: log.child({ loop: 'ipam' }),
        ...(o.ipamPeriodMs !== undefined ? { periodMs: o.ipamPeriodMs } : {}),
        ...(o.ipamGraceMs !== undefined ? { graceMs: o.ipamGraceMs } : {}),
      });
      ipam = i;
      // not part of readiness: a cluster without the IPAM CRDs runs the rest of the operator
      ipamStarting = i.start().catch((err: unknown) => {
        log.error('IPAM loop failed to start', { error: (err as Error).message });
      });
    }
    const c = new Controller({
      client,
      logger: log,
      metrics,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.sliceDebounceMs !== undefined ? { sliceDebounceMs: o.sliceDebounceMs } : {}),
    });
    controller = c;
    starting = c.start().catch((err: unknown) => {
      log.error('controller failed to start', { error: (err as Error).message });
    });
  };
  const elector = new LeaderElector(client, {
    namespace: o.leaseNamespace ?? 'kube-system',
    name: o.leaseName ?? 'knd-operator',
    identity,
    ...(o.leaseDurationMs !== undefined ? { leaseDurationMs: o.leaseDurationMs } : {}),
    ...(o.renewDeadlineMs !== undefined ? { renewDeadlineMs: o.renewDeadlineMs } : {}),
    ...(o.retryPeriodMs !== undefined ? { retryPeriodMs: o.retryPeriodMs } : {}),
    onStartedLeading: () => {
      log.info('became leader');
      startController();
    },
    onStoppedLeading: () => {
      metrics.isLeader.set(0);
      const c = controller;
      controller = undefined;
      void stopIpam();
      if (c) {
        log.warn('lost leadership; stopping the controller');
        void c.stop();
        o.onLostLease?.();
      }
    },
    onError: (err) => log.warn('leader election error', { error: (err as Error).message }),
  });
  let electing: Promise<void> = Promise.resolve();
  let alwaysLeader = false;
  if (o.leaderElection === false) {
    alwaysLeader = true;
    log.warn('leader election disabled: run a single replica');
    startController();
  } else {
    electing = elector.run();
  }
  const ready = (): boolean => (!elector.isLeader && !alwaysLeader) || (controller?.hasSynced ?? false);
  const health =
    o.healthPort === undefined
      ? undefined
      : await startHealthServer({
          port: o.healthPort,
          metrics: metrics.base,
          ready,
        });
  const metricsServer =
    o.metricsPort === undefined || o.metricsPort === o.healthPort
      ? undefined
      : await startHealthServer({ port: o.metricsPort, metrics: metrics.base, ready });
  log.info('operator started', { healthPort: health?.port });
  return {
    identity,
    get isLeader() {
      return (alwaysLeader || elector.isLeader) && controller !== undefined;
    },
    get hasSynced() {
      return controller?.hasSynced ?? false;
    },
    metrics,
    healthPort: health?.port,
    writes: () => writes,
    async stop() {
      const c = controller;
      controller = undefined;
      // stop first: a start() still waiting for its first lists (apiserver away) then returns
      if (c) await c.stop();
      await starting;
      await stopIpam();
      await elector.stop();
      await electing;
      await health?.close();
      await metricsServer?.close();
      log.info('operator stopped');
    },
  };
}
