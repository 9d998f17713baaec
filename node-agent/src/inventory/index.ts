// Device discovery for the node agent. Read-only: sysfs under a configurable root plus
// netlink facts (link kinds, addresses, default routes). Exported API:
//
//   startInventory({ sysfsRoot?, netlink?, filter?, optInVirtualTypes?, rescanIntervalMs?,
//                    minRescanIntervalMs?, pollIntervalMs?, linkEvents?, logger, onChange }): Inventory
//     onChange(devices)   called with the full device list whenever it changes (first scan included)
//     .ready              resolves after the first scan
//     .devices()          current list ({name, attributes, host}[])
//     .excluded()         what the last scan left out and why (diagnostics)
//     .lookup(name)       -> { name, ifName?, ifindex?, pciAddress?, mac?, rdmaDevice?,
//                              charDevices: [{path:'/dev/infiniband/uverbsN'|'/dev/infiniband/rdma_cm', major, minor}],
//                              present, pinned } | undefined
//                          (for DRA prepare; `present: false` = not in the host netns now, fields are last seen)
//     .pin(name) / .unpin(name)   keep an allocated device published while its netdev is in a pod
//     .rescanNow()        scan now (rate-limited); resolves after a scan that started after the call
//     .stop()
//
//   discoverOnce({ sysfsRoot?, netlink?, filterCel?, optInVirtualTypes? }) -> { devices, excluded, warnings }
//     one pass (knd discover, tests, benchmarks). netlink: null = sysfs only.
//
//   netlinkFactsSource() the default netlink facts source (rtnetlink dumps + /proc/net routes)
//   ATTR              the attribute names (public API, docs/attributes.md)
//
//   loadDeviceFilter(expression) -> filter for startInventory; imports the CEL model only when the
//                     expression is not empty; rejects with the CEL parse error and position
//                     (so does discoverOnce for an invalid filterCel).
export {
  startInventory,
  discoverOnce,
  loadDeviceFilter,
  type Inventory,
  type InventoryOptions,
  type DiscoverOptions,
  type DiscoverResult,
} from './inventory.js';
export { ATTR, type AttributeName, type AttributeValue, type Attributes } from './attributes.js';
export type { InventoryDevice, DeviceHostInfo, Exclusion } from './build-devices.js';
export type { DeviceLookup } from './device-registry.js';
export type { CharDevice, NetlinkFacts } from './facts.js';
export { netlinkFactsSource, type NetlinkSource } from './netlink-facts.js';
export { netlinkLinkEvents, type LinkEventSource } from './link-events.js';
