// What DRA prepare needs from the device inventory (node-agent/src/inventory, `Inventory.lookup`):
// declared consumer-side so the planning core and tests depend on this shape only. The inventory's
// lookup result satisfies it structurally.
export interface LookedUpCharDevice {
  path: string;
  major: number;
  minor: number;
}

export interface LookedUpDevice {
  name: string;
  ifName?: string;
  ifindex?: number;
  pciAddress?: string;
  mac?: string;
  rdmaDevice?: string;
  charDevices: LookedUpCharDevice[];
  /** false: not in the host namespace now (e.g. inside a pod); fields are the last seen ones. */
  present: boolean;
}

export interface DeviceLookup {
  lookup(name: string): LookedUpDevice | undefined;
  /** Keep an allocated device published while its netdev is in a pod (optional). */
  pin?(name: string): boolean;
  unpin?(name: string): void;
}
