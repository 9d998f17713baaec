// knd node agent entry point. Thin: parse the typed config once, log it, wire the parts, shut down
// gracefully on SIGTERM/SIGINT. Order matters:
//   1. plan store (durable state; drops plans from an earlier boot, converts older formats), then
//      the CDI specs of its plans in this agent's rendering (cdi-resync.ts)
//   2. inventory (first scan) -> publisher (ResourceSlices for this node's pool), with the health
//      monitor's taints merged into the published devices and the shared classes' fields added;
//      one NetworkDeviceClass list (classes/class-list.ts) feeds both
//   3. claim reader (one GET per claim this node prepares; no informer) -> DRA plugin (DRA
//      socket, then registration socket)
//   4. NRI plugin (replays plans; see the note in startNri)
//   5. metrics/health server; /readyz turns ready when the DRA sockets listen, the kubelet registered
//      the plugin, and the first scan is done.
import { DRIVER_NAME, FIELD_MANAGER_AGENT } from '../../lib/api/constants.js';
import { inClusterEndpoint, loadKubeconfigFile, type KubeEndpoint } from '../../lib/kube/kube-endpoint.js';
import { KubeRestClient } from '../../lib/kube/rest-client.js';
import { reportFlags } from '../../lib/util/flags.js';
import { createLogger, type Logger } from '../../lib/util/logger.js';
import { Metrics } from '../../lib/util/metrics.js';
import { AttachCompletionFiles, attachCompletionDir } from './cdi/attach-completion.js';
import { resyncCdiSpecs } from './cdi/cdi-resync.js';
import { startOrphanSweep } from './dra/orphan-plans.js';
import { CdiWriter } from './cdi/cdi-writer.js';
import { ClassList } from './classes/class-list.js';
import { agentUsage, parseAgentConfig, type AgentConfig } from './config.js';
import { acquireInstanceLock } from './instance-lock.js';
import { kubeClaimReader } from './dra/claim-reader.js';
import { podClaimSource } from './dra/pod-claims.js';
import { draMetrics } from './dra/dra-metrics.js';
import { startDraPlugin } from './dra/dra-plugin.js';
import { DraHandler } from './dra/prepare-handler.js';
import { ClaimAddresses } from './dra/claim-addresses.js';
import { IpAllocator } from '../../lib/ipam/ip-allocator.js';
import { HealthBroadcaster } from './dra/device-health.js';
import { startHealth, type HealthParts } from './health/start-health.js';
import { loadDeviceFilter, startInventory, type InventoryDevice } from './inventory/index.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { PlanStore } from './plan-store/plan-store.js';
import { startPublisher } from './publish/index.js';
import { SharedClasses } from './publish/shared-classes.js';
import type { SliceDevice } from './publish/slice-builder.js';
import { childSweepTargets } from './netns/child-identity.js';
import { KernelNetnsOps } from './netns/kernel-netns-ops.js';
import { loadNativeNetlink } from './netns/netlink-socket.js';
import { netnsPinsIn } from './netns/netns-pins.js';
import type { PodIdentity, SharedClaimLookup } from './nri/handler-deps.js';
import { startNriPlugin, type NriPlugin } from './nri/nri-plugin.js';
import { ClaimStatusWriter } from './status/status-writer.js';
import { kubeStatusApi } from './status/kube-status-api.js';

/** Not client-node's KubeConfig: importing it loads every generated model (docs/dra-plugin.md, "Memory"). */
function loadKubeConfig(cfg: AgentConfig): KubeEndpoint {
  return cfg.kubeconfig ? loadKubeconfigFile(cfg.kubeconfig) : inClusterEndpoint();
}

/**
 * Per GET of the shared-claim lookup in the NRI hooks: well inside the hook budget (1500 ms by
 * default), leaving time for the kernel work; a slower API fails the sandbox (retried).
 */
const SHARED_CLAIM_LOOKUP_TIMEOUT_MS = 800;

interface NriParts {
  plugin: NriPlugin;
  status: ClaimStatusWriter;
}

/** NRI plugin replaying plans through the kernel ops, reporting KEP-4817 status asynchronously. */
function startNri(
  cfg: AgentConfig,
  kc: KubeEndpoint,
  store: PlanStore,
  sharedClaims: SharedClaimLookup,
  log: Logger,
): NriParts | undefined {
  if (!cfg.nri) {
    log.warn('NRI plugin disabled (--nri=false): prepared plans are not applied to pods');
    return undefined;
  }
  const status = new ClaimStatusWriter({
    api: kubeStatusApi({ kubeConfig: kc, nodeName: cfg.nodeName }),
    logger: log.child({ component: 'status' }),
  });
  const netns = new KernelNetnsOps({
    // pod namespaces outlive an agent kill until their device is back on the host
    pins: netnsPinsIn(cfg.stateDir, loadNativeNetlink()),
    // what the attach guard checks (the DRA handler points the CDI hooks at the same directory)
    completion: new AttachCompletionFiles(attachCompletionDir(cfg.stateDir)),
    onGone: (record, reason) => {
      log.warn('device destroyed with its pod network namespace (nothing to give back)', {
        device: record.deviceName,
        claimUid: record.claimUid,
        reason,
      });
    },
  });
  // namespaces of pods that got a device before this process started stay alive until detach
  void store.listAttachRecords().then(
    (records) => {
      const held = netns.adopt(records);
      if (records.length > 0)
        log.info('holding pod network namespaces of attached devices', { records: records.length, held });
      // children of shared devices that no record owns any more (deleted record, failed delete)
      for (const [netnsPath, keep] of childSweepTargets(records)) {
        netns.sweepChildren(netnsPath, keep).then(
          (deleted) => {
            if (deleted.length > 0) log.warn('deleted orphaned child links', { netnsPath, deleted });
          },
          (err: unknown) =>
            log.error('orphan child sweep failed', { netnsPath, error: (err as Error).message }),
        );
      }
    },
    (err: unknown) => log.error('listing attach records failed', { error: (err as Error).message }),
  );
  const plugin = startNriPlugin({
    store,
    netns,
    status,
    sharedClaims,
    logger: log,
    socketPath: cfg.nriSocket,
  });
  return { plugin, status };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseAgentConfig(argv, env);
  if (parsed.kind !== 'ok') {
    return reportFlags('knd-agent', agentUsage(), parsed, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    });
  }
  const cfg = parsed.config;
  const log = createLogger({ level: cfg.logLevel, component: 'agent' });
  log.info('effective configuration', { config: cfg });

  // one agent per state directory: a successor waits until its predecessor is gone
  const stopWaiting = new AbortController();
  const onSignalWhileWaiting = (): void => {
    stopWaiting.abort();
  };
  process.once('SIGTERM', onSignalWhileWaiting);
  process.once('SIGINT', onSignalWhileWaiting);
  const instance = await acquireInstanceLock(cfg.stateDir, {
    logger: log.child({ component: 'instance-lock' }),
    signal: stopWaiting.signal,
  }).catch((err: unknown) => {
    log.info('stopped before taking the state directory', { error: (err as Error).message });
    return undefined;
  });
  process.off('SIGTERM', onSignalWhileWaiting);
  process.off('SIGINT', onSignalWhileWaiting);
  if (!instance) return 0;

  const metrics = new Metrics({ prefix: 'knd_agent_', defaultMetrics: true });
  const dm = draMetrics(metrics);
  const store = await PlanStore.open({
    dir: cfg.stateDir,
    bootIdPath: cfg.bootIdPath,
    logger: log.child({ component: 'plan-store' }),
  });
  log.info('plan store open', {
    dir: cfg.stateDir,
    bootId: store.bootId,
    plans: (await store.listPlans()).length,
    unreadable: store.unreadable.length,
  });
  const cdi = new CdiWriter({ dir: cfg.cdiDir });
  // specs follow the plans: an upgraded agent re-renders those an older one wrote
  const resynced = await resyncCdiSpecs(
    await store.listPlans(),
    cdi,
    attachCompletionDir(cfg.stateDir),
    log.child({ component: 'cdi' }),
  );
  if (resynced.rewritten + resynced.kept + resynced.failed > 0)
    log.info('CDI specs resynced', { ...resynced });
  const kc = loadKubeConfig(cfg);
  if (!cfg.claimCache) log.info('--claim-cache=false has no effect: every claim is read with one GET');
  // The NRI plugin may ask about shared claims before the DRA handler below exists.
  let handlerReady: (h: DraHandler) => void = () => undefined;
  const handlerPromise = new Promise<DraHandler>((resolve) => {
    handlerReady = resolve;
  });
  const hookClaims = kubeClaimReader({ kubeConfig: kc, timeoutMs: SHARED_CLAIM_LOOKUP_TIMEOUT_MS });
  const sharedClaims: SharedClaimLookup = {
    addPods: async (pods: readonly PodIdentity[]) =>
      (await handlerPromise).addPodsToSharedPlans(pods, { claims: hookClaims }),
  };
  const nri = startNri(cfg, kc, store, sharedClaims, log);

  const publisher = cfg.publish
    ? startPublisher({
        kubeConfig: kc,
        nodeName: cfg.nodeName,
        driverName: DRIVER_NAME,
        logger: log.child({ component: 'publish' }),
      })
    : undefined;
  // the one list of NetworkDeviceClasses (every 10 s); the shared classes and the health taints'
  // effects subscribe to it, and it starts below once one of them did
  const classClient = new KubeRestClient(kc, { fieldManager: FIELD_MANAGER_AGENT, timeoutMs: 10_000 });
  const classList = new ClassList({ client: classClient, logger: log.child({ component: 'classes' }) });
  // shared NetworkDeviceClasses: which devices are published shared (consumable capacity)
  let lastDevices: readonly InventoryDevice[] | undefined;
  const shared = cfg.publish
    ? new SharedClasses({
        client: classClient,
        nodeName: cfg.nodeName,
        driverName: DRIVER_NAME,
        logger: log.child({ component: 'shared-devices' }),
        onChange: () => {
          if (lastDevices === undefined) return;
          // through the health merge when it runs, so the devices keep their taints
          if (healthRef.parts) healthRef.parts.devicesChanged(lastDevices);
          else publishDevices(lastDevices);
        },
      })
    : undefined;
  if (shared) classList.subscribe((items) => shared.setClasses(items));
  /** Every publish goes through here: devices of shared classes get their shared fields. */
  const publishDevices = (devices: readonly SliceDevice[]): void => {
    publisher?.update(shared ? shared.apply(devices) : devices);
  };
  const health = new HealthBroadcaster(cfg.nodeName);
  // the inventory's first report comes after startHealth below (the scan is asynchronous)
  const healthRef: { parts?: HealthParts } = {};
  let scanned = false;
  const inventory = startInventory({
    sysfsRoot: cfg.sysfsRoot,
    ...(cfg.netlink ? {} : { netlink: null }),
    filter: await loadDeviceFilter(cfg.filterCel),
    ...(cfg.optInVirtual
      ? {
          optInVirtualTypes: cfg.optInVirtual
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
        }
      : {}),
    logger: log.child({ component: 'inventory' }),
    onChange: (devices) => {
      lastDevices = devices;
      if (healthRef.parts) healthRef.parts.devicesChanged(devices);
      else publishDevices(devices);
      health.update(devices);
    },
  });
  const healthParts = startHealth(cfg, {
    kubeConfig: kc,
    inventory,
    store,
    broadcaster: health,
    classes: classList,
    publish: publishDevices,
    logger: log.child({ component: 'health' }),
  });
  if (healthParts) healthRef.parts = healthParts;
  if (shared || healthParts) classList.start();
  void inventory.ready.then(() => {
    scanned = true;
  });
  // devices of persisted plans stay published while their netdevs are in pods
  for (const p of await store.listPlans()) for (const d of p.devices) inventory.pin(d.deviceName);
  // and so do devices named by entries this agent cannot read (a newer agent's format)
  for (const e of store.unreadable) for (const name of e.deviceNames) inventory.pin(name);

  const claims = kubeClaimReader({ kubeConfig: kc });
  const handler = new DraHandler({
    driverName: DRIVER_NAME,
    poolName: cfg.nodeName,
    claims,
    pods: podClaimSource(new KubeRestClient(kc, { fieldManager: FIELD_MANAGER_AGENT })),
    devices: inventory,
    store,
    cdi,
    logger: log.child({ component: 'dra' }),
    metrics: dm,
    ...(nri ? { releaseClaim: (claimUid: string) => nri.plugin.releaseClaim(claimUid) } : {}),
    addresses: new ClaimAddresses(
      new IpAllocator(new KubeRestClient(kc, { fieldManager: FIELD_MANAGER_AGENT })),
      cfg.nodeName,
      (operation, result, seconds) => {
        dm.ipamSeconds.observe({ operation, result }, seconds);
      },
    ),
    onAddressFailure: (claim, devices, reason, message) => {
      nri?.status.prepareFailed(claim, devices, reason, message);
    },
    ...(shared ? { sharedMode: (deviceName: string) => shared.modeOf(deviceName) } : {}),
  });
  handlerReady(handler);
  const plugin = startDraPlugin({
    driverName: DRIVER_NAME,
    kubeletRoot: cfg.kubeletRoot,
    handler,
    logger: log.child({ component: 'dra' }),
    metrics: dm,
    health,
  });
  let draListening = false;
  let orphanSweep: { stop(): void } | undefined;
  void plugin.ready.then(() => {
    draListening = true;
    publisher?.resync();
    // plans whose claim is gone (the kubelet will not unprepare them): same path as its unprepare
    orphanSweep = startOrphanSweep({
      store,
      claims,
      unprepare: (reqs) => handler.unprepare(reqs),
      logger: log.child({ component: 'orphan-sweep' }),
    });
  });

  const http = await startMetricsServer({
    metrics,
    host: cfg.metricsHost,
    port: cfg.metricsPort,
    readiness: {
      'dra-sockets': () => draListening,
      // a DaemonSet pod is Ready only once the kubelet can call it (what `helm test` relies on)
      'kubelet-registration': () => plugin.registration()?.registered === true,
      inventory: () => scanned,
    },
  });
  log.info('metrics server listening', { host: cfg.metricsHost, port: http.port });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { signal });
      void (async () => {
        await nri?.plugin.stop();
        await nri?.status.drain();
        await plugin.stop();
        healthParts?.stop();
        inventory.stop();
        classList.stop();
        orphanSweep?.stop();
        shared?.stop();
        await publisher?.stop();
        await http.close();
        await instance.release();
        log.info('stopped');
        resolve(0);
      })().catch((err: unknown) => {
        log.error('shutdown failed', { error: (err as Error).message });
        resolve(1);
      });
    };
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
  });
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`knd-agent: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
