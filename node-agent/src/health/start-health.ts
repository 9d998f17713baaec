// Wiring of the health taints for node-agent main: the NetworkDeviceClass effects, the monitor,
// and the merge of its taints into the devices handed to the publisher. Thin; the decisions are in
// link-health.ts, taint-planner.ts and class-effects.ts.
// Off (undefined: main publishes the inventory's devices as they are) with --health-taints=false,
// and with --netlink=false, where links are not the host's (a sysfs fixture).
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import type { DeviceTaint } from '../../../lib/api/device-taints.js';
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { KubeRestClient } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { AgentConfig } from '../config.js';
import type { HealthBroadcaster } from '../dra/device-health.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { Inventory } from '../inventory/inventory.js';
import { netlinkLinkEvents } from '../inventory/link-events.js';
import type { PlanStore } from '../plan-store/plan-store.js';
import type { SliceDevice } from '../publish/slice-builder.js';
import { startClassSource } from './class-source.js';
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
  cfg: Pick<AgentConfig, 'healthTaints' | 'healthTaintHoldMs' | 'netlink' | 'sysfsRoot'>,
  deps: {
    kubeConfig: KubeEndpoint;
    inventory: Pick<Inventory, 'devices' | 'lookup'>;
    store: Pick<PlanStore, 'listAttachRecords' | 'onAttachRecordsChanged'>;
    broadcaster: HealthBroadcaster;
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
  const publish = (): void => {
    deps.publish(withTaints(devices, taints));
  };
  const classes = startClassSource({
    client: new KubeRestClient(deps.kubeConfig, { fieldManager: FIELD_MANAGER_AGENT, timeoutMs: 10_000 }),
    logger: log,
    onChange: () => {
      monitor.devicesChanged();
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
      publish();
    },
    onVerdicts: (v) => {
      deps.broadcaster.setVerdicts(v);
    },
    holdMs: cfg.healthTaintHoldMs,
    logger: log,
  });
  void classes.refresh();
  // an attach completing or a detach starting moves the place to watch: look again at once
  const unsubscribe = deps.store.onAttachRecordsChanged(() => {
    monitor.devicesChanged();
  });
  return {
    devicesChanged(d) {
      devices = d;
      publish();
      monitor.devicesChanged();
    },
    stop() {
      unsubscribe();
      classes.stop();
      monitor.stop();
    },
  };
}
