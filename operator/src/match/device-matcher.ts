// Counts the devices and nodes a list of DRA CEL selectors matches, over ResourceSlices as the apiserver
// returns them (JSON). Uses a real CEL engine (@bufbuild/cel) with Kubernetes' semantics emulated where the
// engine differs (@bufbuild/cel 0.6.1 reads JS numbers as doubles and fails on an unknown map key): ints as
// bigint, an unknown attribute domain is an empty map, unqualified attribute names live in the driver's
// domain. A selector that errors on a device does not match it (the scheduler would fail that device). Pure
// apart from a compile cache.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';

export interface SliceAttribute {
  int?: number;
  bool?: boolean;
  string?: string;
  version?: string;
}

export interface ResourceSliceJson {
  metadata?: { name?: string };
  spec?: {
    driver?: string;
    nodeName?: string;
    allNodes?: boolean;
    pool?: { name?: string; generation?: number };
    devices?: {
      name: string;
      attributes?: Record<string, SliceAttribute>;
      capacity?: Record<string, { value?: string }>;
    }[];
  };
}

type Program = (vars: Record<string, unknown>) => unknown;

/** Map whose unknown keys read as an empty map, as Kubernetes' device.attributes does. */
class DomainMap extends Map<string, unknown> {
  override get(key: string): unknown {
    return super.get(key) ?? new Map<string, unknown>();
  }
  override has(): boolean {
    return true;
  }
}

export interface CelDevice {
  driver: string;
  attributes: Map<string, unknown>;
  capacity: Map<string, unknown>;
  allowMultipleAllocations: boolean;
}

function attrValue(a: SliceAttribute): unknown {
  if (typeof a.int === 'number') return BigInt(a.int);
  if (typeof a.bool === 'boolean') return a.bool;
  if (typeof a.string === 'string') return a.string;
  if (typeof a.version === 'string') return a.version;
  return undefined;
}

export function toCelDevice(
  driver: string,
  attributes: Record<string, SliceAttribute> | undefined,
): CelDevice {
  const domains = new DomainMap();
  for (const [qualified, a] of Object.entries(attributes ?? {})) {
    const slash = qualified.lastIndexOf('/');
    const domain = slash < 0 ? driver : qualified.slice(0, slash);
    const id = slash < 0 ? qualified : qualified.slice(slash + 1);
    const v = attrValue(a);
    if (v === undefined) continue;
    let m = Map.prototype.get.call(domains, domain) as Map<string, unknown> | undefined;
    if (!m) {
      m = new Map();
      domains.set(domain, m);
    }
    m.set(id, v);
  }
  return { driver, attributes: domains, capacity: new DomainMap(), allowMultipleAllocations: false };
}

export class DeviceMatcher {
  private readonly cache = new Map<string, Program | Error>();

  /** Compile (cached); an Error for a syntax error. */
  compile(expr: string): Program | Error {
    let p = this.cache.get(expr);
    if (!p) {
      try {
        p = plan(celEnv(), parse(expr)) as Program;
      } catch (err) {
        p = err instanceof Error ? err : new Error(String(err));
      }
      this.cache.set(expr, p);
    }
    return p;
  }

  /** True when every expression evaluates to exactly `true`. */
  matches(exprs: readonly string[], device: CelDevice): boolean {
    for (const x of exprs) {
      const p = this.compile(x);
      if (p instanceof Error) return false;
      const r = p({ device });
      if (isCelError(r) || r !== true) return false;
    }
    return true;
  }

  private memoVersion: unknown;
  private readonly memo = new Map<string, { devices: number; nodes: number }>();

  /**
   * count() memoized per expression list while `version` stays the same (the caller bumps it on
   * every slice change): 1000 profiles of one class cost one evaluation pass, not 1000.
   */
  countCached(
    exprs: readonly string[],
    slices: Iterable<ResourceSliceJson>,
    version: unknown,
  ): { devices: number; nodes: number } {
    if (version !== this.memoVersion) {
      this.memo.clear();
      this.memoVersion = version;
    }
    const key = exprs.join('\u0000');
    let r = this.memo.get(key);
    if (!r) {
      r = this.count(exprs, slices);
      this.memo.set(key, r);
    }
    return r;
  }

  /** Devices and distinct nodes matched across the slices. */
  count(exprs: readonly string[], slices: Iterable<ResourceSliceJson>): { devices: number; nodes: number } {
    let devices = 0;
    const nodes = new Set<string>();
    for (const s of slices) {
      const driver = s.spec?.driver ?? '';
      for (const d of s.spec?.devices ?? []) {
        if (this.matches(exprs, toCelDevice(driver, d.attributes))) {
          devices++;
          nodes.add(s.spec?.nodeName ?? (s.spec?.allNodes ? '*' : ''));
        }
      }
    }
    return { devices, nodes: nodes.size };
  }
}
