// The one model of the DRA CEL `device` variable in knd, used wherever knd predicts what a
// DeviceClass / ResourceClaim selector selects: the operator's match counts, the agent's --filter
// and `knd discover --filter`. It reproduces the scheduler (k8s.io/dynamic-resource-allocation
// cel/compile.go, structured allocator; Kubernetes v1.35):
//
// - device.driver; device.attributes[domain][id] and device.capacity[domain][id], a qualified name
//   split at its FIRST "/", a name without one in the driver's domain;
// - attribute values: int -> int (bigint), bool, string, version -> kubernetes.Semver (an invalid
//   version makes every selector on that device an error); capacity -> kubernetes.Quantity;
// - an unknown domain reads as an empty map (`device.attributes["other.io"].x` is a "no such key"
//   error, `"x" in device.attributes["other.io"]` is false) while `"other.io" in device.attributes`
//   stays false;
// - device.allowMultipleAllocations (false when unset); the apiserver accepts it only with the
//   DRAConsumableCapacity feature;
// - a device is selected only when every selector returns exactly `true`, evaluated in order and
//   stopping at the first `false`; an evaluation error (or a non-bool result) is reported as
//   such: the scheduler then fails the whole allocation attempt on that node, it does not skip the
//   device.
//
// Known gaps against cel-go (documented, not emulated): no static type check (a selector the
// apiserver would reject may evaluate here), `has(device.attributes.dom)` on an unknown domain is
// false (cel-go: true), and the regex/lists/sets/ip/cidr/url/format libraries are absent (calling
// them is an evaluation error here). Pure apart from a compile cache.
import { celEnv, celMap, isCelError, parse, plan, type CelInput, type CelMap } from '@bufbuild/cel';
import { err, ok, type Result } from '../util/result.js';
import { rewriteBindings } from './bindings.js';
import { k8sCelFuncs, k8sRegistry, quantityValue, semverValue } from './k8s-library.js';
import { parseQuantityNanos } from './quantity.js';
import { parseSemver } from './semver.js';

/** One DeviceAttribute as resource.k8s.io/v1 JSON carries it: exactly one field set. */
export interface DeviceAttributeJson {
  int?: number | bigint;
  bool?: boolean;
  string?: string;
  version?: string;
}

/** One DeviceCapacity (resource.k8s.io/v1 JSON). */
export interface DeviceCapacityJson {
  value?: string;
}

/** The part of a ResourceSlice device a selector can see. */
export interface DraDeviceJson {
  name?: string;
  attributes?: Readonly<Record<string, DeviceAttributeJson>>;
  capacity?: Readonly<Record<string, DeviceCapacityJson>>;
  allowMultipleAllocations?: boolean;
}

/** A ResourceSlice as the apiserver returns it (JSON), reduced to what matching needs. */
export interface ResourceSliceJson {
  metadata?: { name?: string };
  spec?: {
    driver?: string;
    nodeName?: string;
    allNodes?: boolean;
    pool?: { name?: string; generation?: number; resourceSliceCount?: number };
    devices?: (DraDeviceJson & { name: string })[];
  };
}

/** The `device` variable, ready to evaluate against. */
export interface CelDeviceValue {
  driver: string;
  attributes: CelMap;
  capacity: CelMap;
  allowMultipleAllocations: boolean;
}

/** What the scheduler does with one device for a list of selectors. */
export type SelectorVerdict = { kind: 'match' } | { kind: 'no-match' } | { kind: 'error'; message: string };

const MATCH: SelectorVerdict = { kind: 'match' };
const NO_MATCH: SelectorVerdict = { kind: 'no-match' };

/** Domain and identifier of a qualified name; the default domain when it has no "/". */
export function parseQualifiedName(name: string, defaultDomain: string): [string, string] {
  const sep = name.indexOf('/');
  return sep < 0 ? [defaultDomain, name] : [name.slice(0, sep), name.slice(sep + 1)];
}

function attributeValue(a: DeviceAttributeJson): CelInput {
  if (a.int !== undefined) return BigInt(a.int);
  if (a.bool !== undefined) return a.bool;
  if (a.string !== undefined) return a.string;
  if (a.version !== undefined) return semverValue(parseSemver(a.version));
  throw new Error('unsupported attribute value');
}

const EMPTY = celMap(new Map());

/**
 * A map of domains whose lookup of an unknown domain yields an empty map (the scheduler's
 * newStringInterfaceMapWithDefault) but whose `in` and iteration see only the real domains.
 */
function domainMap(domains: Map<string, Map<string, CelInput>>): CelMap {
  const m = celMap(domains);
  const realGet = m.get.bind(m);
  return Object.assign(m, {
    get: (key: unknown) => realGet(key as string) ?? EMPTY,
    has: (key: unknown) => realGet(key as string) !== undefined,
  });
}

function group<V>(
  entries: Readonly<Record<string, V>> | undefined,
  driver: string,
  value: (v: V, name: string) => CelInput,
): Map<string, Map<string, CelInput>> {
  const out = new Map<string, Map<string, CelInput>>();
  for (const [name, v] of Object.entries(entries ?? {})) {
    const [domain, id] = parseQualifiedName(name, driver);
    let inner = out.get(domain);
    if (!inner) {
      inner = new Map();
      out.set(domain, inner);
    }
    inner.set(id, value(v, name));
  }
  return out;
}

/** Builds `device` for one ResourceSlice device; an error where the scheduler fails the device. */
export function celDevice(driver: string, device: DraDeviceJson): Result<CelDeviceValue> {
  try {
    const attributes = group(device.attributes, driver, (a, name) => {
      try {
        return attributeValue(a);
      } catch (e) {
        throw new Error(`attribute ${name}: ${(e as Error).message}`, { cause: e });
      }
    });
    const capacity = group(device.capacity, driver, (c, name) => {
      try {
        return quantityValue(parseQuantityNanos(c.value ?? ''));
      } catch (e) {
        throw new Error(`capacity ${name}: ${(e as Error).message}`, { cause: e });
      }
    });
    return ok({
      driver,
      attributes: domainMap(attributes),
      capacity: domainMap(capacity),
      allowMultipleAllocations: device.allowMultipleAllocations ?? false,
    });
  } catch (e) {
    return err(e as Error);
  }
}

const env = celEnv({ funcs: [...k8sCelFuncs], registry: k8sRegistry });

/** A parsed and planned selector. */
export interface CompiledSelector {
  readonly expression: string;
  evaluate(device: CelDeviceValue): SelectorVerdict;
}

/** Parses and plans one selector; a syntax error comes back with its message. */
export function compileSelector(expression: string): Result<CompiledSelector> {
  let program: (vars: Record<string, unknown>) => unknown;
  try {
    program = plan(env, rewriteBindings(parse(expression))) as typeof program;
  } catch (e) {
    return err(new Error(`CEL does not compile: ${(e as Error).message}`, { cause: e }));
  }
  return ok({
    expression,
    evaluate(device) {
      const r = program({ device });
      if (r === true) return MATCH;
      if (r === false) return NO_MATCH;
      if (isCelError(r)) return { kind: 'error', message: r.message };
      return { kind: 'error', message: `selector returned a ${typeof r}, not a bool` };
    },
  });
}

/** Compiles selectors once each (by expression text); compile errors are cached too. */
export class SelectorCache {
  private readonly cache = new Map<string, Result<CompiledSelector>>();

  compile(expression: string): Result<CompiledSelector> {
    let c = this.cache.get(expression);
    if (!c) {
      c = compileSelector(expression);
      this.cache.set(expression, c);
    }
    return c;
  }

  /** The scheduler's verdict for one device of `driver` under all `expressions`, in order. */
  evaluate(expressions: readonly string[], driver: string, device: DraDeviceJson): SelectorVerdict {
    const compiled: CompiledSelector[] = [];
    for (const x of expressions) {
      const c = this.compile(x);
      if (!c.ok) return { kind: 'error', message: c.error.message };
      compiled.push(c.value);
    }
    return evaluateSelectors(compiled, driver, device);
  }
}

/** All selectors in order, stopping at the first that is not `true`. No selectors: a match. */
export function evaluateSelectors(
  selectors: readonly CompiledSelector[],
  driver: string,
  device: DraDeviceJson,
): SelectorVerdict {
  if (selectors.length === 0) return MATCH;
  const d = celDevice(driver, device);
  if (!d.ok) return { kind: 'error', message: d.error.message };
  for (const s of selectors) {
    const v = s.evaluate(d.value);
    if (v.kind !== 'match') return v;
  }
  return MATCH;
}
