// The agent's memory of devices: what the last scan found, plus "remembered" devices that must stay
// published while they are allocated. When the NRI side moves a netdev into a pod it disappears
// from the host namespace (a non-PCI netdev vanishes from sysfs; a PCI function loses its netdev
// attributes). A pinned device keeps its last-seen attributes in the slice until unpinned, so the
// scheduler never sees an allocated device vanish (DraNet google#97, k-sigs#99). Pure state; the
// inventory loop owns one instance. Not thread-shared: all calls happen on the event loop.
import { ATTR, type Attributes } from './attributes.js';
import type { DeviceHostInfo, InventoryDevice } from './build-devices.js';

export interface DeviceLookup extends DeviceHostInfo {
  name: string;
  /** false: not in the host namespace now (e.g. inside a pod); host fields are the last seen ones. */
  present: boolean;
  pinned: boolean;
}

/** Attributes that describe the netdev (not the PCI function) and are lost when it leaves the host. */
const NETDEV_ATTRS = [
  ATTR.ifName,
  ATTR.mac,
  ATTR.mtu,
  ATTR.state,
  ATTR.linkSpeedMbps,
  ATTR.ipv4,
  ATTR.ipv6,
] as const;

export class DeviceRegistry {
  private readonly lastSeen = new Map<string, InventoryDevice>();
  private readonly pinned = new Set<string>();
  private present = new Set<string>();
  /** Published from memory at the last apply: pinned and absent, or a PCI function whose netdev is away. */
  private remembered = new Set<string>();
  private published: InventoryDevice[] = [];

  /** Merge one scan's result with pinned memories; returns the device list to publish. */
  apply(scanned: readonly InventoryDevice[]): InventoryDevice[] {
    this.present = new Set(scanned.map((d) => d.name));
    this.remembered = new Set();
    const out: InventoryDevice[] = [];
    for (const d of scanned) {
      const prev = this.lastSeen.get(d.name);
      let merged = d;
      if (this.pinned.has(d.name) && prev && d.host.ifName === undefined && prev.host.ifName !== undefined) {
        // PCI function whose netdev is in a pod: keep the netdev's attributes and host identity.
        const attributes: Attributes = { ...d.attributes };
        for (const k of NETDEV_ATTRS) {
          const v = prev.attributes[k];
          if (v !== undefined && attributes[k] === undefined) attributes[k] = v;
        }
        merged = {
          name: d.name,
          attributes,
          host: { ...prev.host, ...stripUndefined(d.host), ifName: prev.host.ifName },
        };
        this.remembered.add(d.name);
      }
      this.lastSeen.set(d.name, merged);
      out.push(merged);
    }
    for (const name of this.pinned) {
      const prev = this.lastSeen.get(name);
      if (!this.present.has(name) && prev) {
        out.push(prev);
        this.remembered.add(name);
      }
    }
    for (const name of [...this.lastSeen.keys()]) {
      if (!this.present.has(name) && !this.pinned.has(name)) this.lastSeen.delete(name);
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.published = out;
    return out;
  }

  devices(): readonly InventoryDevice[] {
    return this.published;
  }

  /** Keep `name` published even when it leaves the host. False if the device is unknown. */
  pin(name: string): boolean {
    if (!this.lastSeen.has(name)) return false;
    this.pinned.add(name);
    return true;
  }

  /**
   * Stop remembering `name`; it leaves the slice at the next scan if it is not on the host. True
   * when the published list may change at that scan (the device was published from memory); false
   * when the last scan saw it on the host as it is published, so no rescan is needed.
   */
  unpin(name: string): boolean {
    this.pinned.delete(name);
    return this.remembered.has(name);
  }

  isPinned(name: string): boolean {
    return this.pinned.has(name);
  }

  lookup(name: string): DeviceLookup | undefined {
    const d = this.lastSeen.get(name);
    if (!d) return undefined;
    return { name, ...d.host, present: this.present.has(name), pinned: this.pinned.has(name) };
  }
}

function stripUndefined(h: DeviceHostInfo): Partial<DeviceHostInfo> {
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
}
