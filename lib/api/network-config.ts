// TypeScript view of the NetworkConfig schema (lib/api/network-config-schema.ts). Kept by hand next
// to the schema; the validator's tests check that every schema property appears here and back.

export interface NetworkConfig {
  apiVersion?: 'knd.dev/v1alpha1';
  kind?: 'NetworkConfig';
  interface?: InterfaceConfig;
  ipam?: IpamConfig;
  routes?: RouteConfig[];
  rules?: RuleConfig[];
  neighbors?: NeighborConfig[];
  ethtool?: EthtoolConfig;
}

export interface InterfaceConfig {
  name?: string;
  addresses?: string[];
  mtu?: number;
  hardwareAddr?: string;
}

/** Addresses from IPPools (lib/api/ip-pool.ts), one pool per family. */
export interface IpamConfig {
  ipv4Pool?: string;
  ipv6Pool?: string;
}

export interface RouteConfig {
  destination: string;
  gateway?: string;
  source?: string;
  /** 0 universe, 253 link. */
  scope?: 0 | 253;
  table?: number;
}

export interface RuleConfig {
  priority?: number;
  source?: string;
  destination?: string;
  table: number;
}

export interface NeighborConfig {
  destination: string;
  hardwareAddr: string;
}

export interface EthtoolConfig {
  features?: Record<string, boolean>;
}

/**
 * Layer NetworkConfigs: later ones win field by field for `interface`, `ipam` and `ethtool.features`;
 * lists (routes, rules, neighbors, interface.addresses) are replaced whole by a later config that sets
 * them. Used for DeviceClass config (first) then claim config (later), as DRA orders them.
 */
export function mergeNetworkConfigs(configs: readonly NetworkConfig[]): NetworkConfig {
  const out: NetworkConfig = {};
  for (const c of configs) {
    if (c.interface) out.interface = { ...out.interface, ...c.interface };
    if (c.ipam) out.ipam = { ...out.ipam, ...c.ipam };
    if (c.routes) out.routes = c.routes;
    if (c.rules) out.rules = c.rules;
    if (c.neighbors) out.neighbors = c.neighbors;
    if (c.ethtool?.features) {
      out.ethtool = { features: { ...out.ethtool?.features, ...c.ethtool.features } };
    }
  }
  return out;
}
