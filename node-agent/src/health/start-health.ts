// Wiring of the health taints for node-agent main: the NetworkDeviceClass effects (a subscriber of
// main's class list), the monitor, and the merge of its taints into the devices handed to the
// publisher. Thin; the decisions are in
// link-health.ts, taint-planner.ts and class-effects.ts.
// Off (undefined: main publishes the inventory's devices as they are) with --health-taints=false,
// and with --netlink=false, where links are not the host's (a sysfs fixture).
import { DRIVER_NAME, FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import type { DeviceTaint } from '../../../lib/api/device-taints.js';
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { KubeRestClient, resourcePath } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { AgentConfig } from '../config.js';
import type { HealthBroadcaster } from '../dra/device-health.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { Inventory } from '../inventory/inventory.js';
import { netlinkLinkEvents } from '../inventory/link-events.js';
import type { ClassList } from '../classes/class-list.js';
import type { PlanStore } from '../plan-store/plan-store.js';
import { RESOURCE_API_VERSION, type SliceDevice } from '../publish/slice-builder.js';
import { decodeManagedSlice } from '../publish/slice-decode.js';
import { classSource } from './class-source.js';
import { startHealthMonitor } from './health-monitor.js';
import { HOST_PLACE, readLinks, readRdmaPortStates } from './link-reader.js';

export interface HealthParts {
  devicesChanged(devices: readonly InventoryDevice[]): void;
  stop(): void;
}

/** Devices with their taints, as the publisher takes them. */
export function withTaints(
  devices: readonly InventoryDevice[],
  taints: ReadonlyMap<string, DeviceTaint[]>,
): SliceDevice[] {
  return devices.map((d) => {
    const t = taints.get(d.name);
    return { name: d.name, attributes: d.attributes, ...(t && t.length > 0 ? { taints: t } : {}) };
  });
}

export function startHealth(
  cfg: Pick<AgentConfig, 'healthTaints' | 'healthTaintHoldMs' | 'netlink' | 'sysfsRoot' | 'nodeName'>,
  deps: {
    kubeConfig: KubeEndpoint;
    inventory: Pick<Inventory, 'devices' | 'lookup'>;
    store: Pick<PlanStore, 'listAttachRecords' | 'onAttachRecordsChanged'>;
    broadcaster: HealthBroadcaster;
    classes: Pick<ClassList, 'subscribe'>;
    publish: (devices: SliceDevice[]) => void;
    logger: Logger;
  },
): HealthParts | undefined {
  const log = deps.logger;
  if (!cfg.healthTaints || !cfg.netlink) {
    log.info('health taints off', { healthTaints: cfg.healthTaints, netlink: cfg.netlink });
    return undefined;
  }
  let devices: readonly InventoryDevice[] = deps.inventory.devices();
  let taints: ReadonlyMap<string, DeviceTaint[]> = new Map();
  // nothing is published before the monitor's first report: publishing the devices without the
  // taints an earlier run wrote would make them schedulable for a moment after every restart
  let reported = false;
  let scanned = false;
  const publish = (): void => {
    if (reported) deps.publish(withTaints(devices, taints));
  };
  const client = new KubeRestClient(deps.kubeConfig, {
    fieldManager: FIELD_MANAGER_AGENT,
    timeoutMs: 10_000,
  });
  const classes = classSource({
    logger: log,
    onChange: () => {
      // before the inventory's first report there is nothing to evaluate (see devicesChanged)
      if (scanned) monitor.devicesChanged();
    },
  });
  const monitor = startHealthMonitor({
    devices: () => devices,
    isPinned: (name) => deps.inventory.lookup(name)?.pinned === true,
    attachRecords: () => deps.store.listAttachRecords(),
    readLinks: (place) => readLinks(place),
    rdmaPortStates: (rdma) => readRdmaPortStates(cfg.sysfsRoot, rdma),
    linkEvents: (place) =>
      netlinkLinkEvents({ logger: log, ...(place === HOST_PLACE ? {} : { netnsPath: place }) }),
    effectOf: (d) => classes.effectOf(d),
    onTaints: (t) => {
      taints = t;
      reported = true;
      publish();
    },
    initialTaints: () => slicesTaints(client, cfg.nodeName),
    onVerdicts: (v) => {
      deps.broadcaster.setVerdicts(v);
    },
    holdMs: cfg.healthTaintHoldMs,
    logger: log,
  });
  const unsubscribeClasses = deps.classes.subscribe((items) => classes.update(items));
  // an attach completing or a detach starting moves the place to watch: look again at once
  const unsubscribe = deps.store.onAttachRecordsChanged(() => {
    if (scanned) monitor.devicesChanged();
  });
  return {
    devicesChanged(d) {
      devices = d;
      scanned = true;
      publish();
      monitor.devicesChanged();
    },
    stop() {
      unsubscribe();
      unsubscribeClasses();
      monitor.stop();
    },
  };
}

/** The taints on this node's knd.dev slices now, per device (what an earlier run published). */
async function slicesTaints(client: KubeRestClient, nodeName: string): Promise<Map<string, DeviceTaint[]>> {
  const list = await client.listAll(
    resourcePath(RESOURCE_API_VERSION, 'resourceslices'),
    decodeManagedSlice,
    {
      fieldSelector: `spec.driver=${DRIVER_NAME},spec.nodeName=${nodeName}`,
    },
  );
  const out = new Map<string, DeviceTaint[]>();
  for (const s of list.items) for (const d of s.spec.devices) if (d.taints?.length) out.set(d.name, d.taints);
  return out;
}
