// The Kubernetes CEL extensions a DRA selector can call, for @bufbuild/cel: the semver library
// (k8s.io/apiserver pkg/cel/library/semverlib.go), the quantity library (quantity.go) and the
// strings extension (cel-go ext.Strings, as @bufbuild/cel ships it). Semver and Quantity values are
// protobuf messages of the types kubernetes.Semver / kubernetes.Quantity built at load time, so
// type(), equality and method dispatch work as in cel-go: a Semver holds no build metadata (it takes
// no part in equality) and a Quantity is its exact value in nano-units (1Gi == 1073741824).
// Pure apart from building the two descriptors once.
import {
  celEnv,
  celFunc,
  celMethod,
  CelScalar,
  isCelError,
  objectType,
  type CelFunc,
  type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { create, createFileRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import { isReflectMessage, reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as T,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { NANOS_PER_UNIT, parseQuantityNanos } from './quantity.js';
import { compareSemver, parseSemver, parseSemverNormalized, type Semver } from './semver.js';

const field = (name: string, number: number, type: T) => ({
  name,
  number,
  type,
  label: Label.OPTIONAL,
  jsonName: name,
});

const file = create(FileDescriptorProtoSchema, {
  name: 'knd/kubernetes-cel.proto',
  package: 'kubernetes',
  syntax: 'proto3',
  messageType: [
    {
      name: 'Semver',
      field: [
        field('major', 1, T.UINT64),
        field('minor', 2, T.UINT64),
        field('patch', 3, T.UINT64),
        field('pre', 4, T.STRING),
      ],
    },
    { name: 'Quantity', field: [field('nanos', 1, T.STRING)] },
  ],
});

/** Registry holding kubernetes.Semver and kubernetes.Quantity; the CEL env needs it. */
export const k8sRegistry: Registry = createFileRegistry(file, () => undefined);

function message(name: string): DescMessage {
  const d = k8sRegistry.getMessage(name);
  if (!d) throw new Error(`internal: message ${name} missing from the registry`);
  return d;
}
const SemverDesc = message('kubernetes.Semver');
const QuantityDesc = message('kubernetes.Quantity');
const SEMVER = objectType(SemverDesc);
const QUANTITY = objectType(QuantityDesc);

export function semverValue(v: Semver): ReflectMessage {
  return reflect(
    SemverDesc,
    create(SemverDesc, { major: v.major, minor: v.minor, patch: v.patch, pre: v.pre.join('.') }),
  );
}

function semverOf(m: ReflectMessage): Semver {
  const get = (n: string): unknown => {
    const f = SemverDesc.fields.find((x) => x.name === n);
    if (!f) throw new Error(`internal: Semver field ${n} missing`);
    return m.get(f);
  };
  const pre = String(get('pre'));
  return {
    major: get('major') as bigint,
    minor: get('minor') as bigint,
    patch: get('patch') as bigint,
    pre: pre === '' ? [] : pre.split('.'),
    build: [],
  };
}

export function quantityValue(nanos: bigint): ReflectMessage {
  return reflect(QuantityDesc, create(QuantityDesc, { nanos: nanos.toString() }));
}

function nanosOf(m: ReflectMessage): bigint {
  const f = QuantityDesc.fields[0];
  if (!f) throw new Error('internal: Quantity field missing');
  return BigInt(m.get(f) as string);
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const sign = (n: bigint): bigint => (n > 0n ? 1n : n < 0n ? -1n : 0n);
const isNormalize = (b: boolean, s: string): Semver => (b ? parseSemverNormalized(s) : parseSemver(s));
const parses = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

const semverFuncs: CelFunc[] = [
  celFunc('semver', [CelScalar.STRING], SEMVER, (s) => semverValue(parseSemver(s))),
  celFunc('semver', [CelScalar.STRING, CelScalar.BOOL], SEMVER, (s, n) => semverValue(isNormalize(n, s))),
  celFunc('isSemver', [CelScalar.STRING], CelScalar.BOOL, (s) => parses(() => parseSemver(s))),
  celFunc('isSemver', [CelScalar.STRING, CelScalar.BOOL], CelScalar.BOOL, (s, n) =>
    parses(() => isNormalize(n, s)),
  ),
  celMethod('isGreaterThan', SEMVER, [SEMVER], CelScalar.BOOL, function (o) {
    return compareSemver(semverOf(this), semverOf(o)) === 1;
  }),
  celMethod('isLessThan', SEMVER, [SEMVER], CelScalar.BOOL, function (o) {
    return compareSemver(semverOf(this), semverOf(o)) === -1;
  }),
  celMethod('compareTo', SEMVER, [SEMVER], CelScalar.INT, function (o) {
    return BigInt(compareSemver(semverOf(this), semverOf(o)));
  }),
  celMethod('major', SEMVER, [], CelScalar.INT, function () {
    return semverOf(this).major;
  }),
  celMethod('minor', SEMVER, [], CelScalar.INT, function () {
    return semverOf(this).minor;
  }),
  celMethod('patch', SEMVER, [], CelScalar.INT, function () {
    return semverOf(this).patch;
  }),
];

const quantityFuncs: CelFunc[] = [
  celFunc('quantity', [CelScalar.STRING], QUANTITY, (s) => quantityValue(parseQuantityNanos(s))),
  celFunc('isQuantity', [CelScalar.STRING], CelScalar.BOOL, (s) => parses(() => parseQuantityNanos(s))),
  celFunc('sign', [QUANTITY], CelScalar.INT, (q) => sign(nanosOf(q))),
  celMethod('isGreaterThan', QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return nanosOf(this) > nanosOf(o);
  }),
  celMethod('isLessThan', QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return nanosOf(this) < nanosOf(o);
  }),
  celMethod('compareTo', QUANTITY, [QUANTITY], CelScalar.INT, function (o) {
    return sign(nanosOf(this) - nanosOf(o));
  }),
  celMethod('asApproximateFloat', QUANTITY, [], CelScalar.DOUBLE, function () {
    return Number(nanosOf(this)) / Number(NANOS_PER_UNIT);
  }),
  celMethod('isInteger', QUANTITY, [], CelScalar.BOOL, function () {
    const n = nanosOf(this);
    const v = n / NANOS_PER_UNIT;
    return n % NANOS_PER_UNIT === 0n && v <= INT64_MAX && v >= INT64_MIN;
  }),
  celMethod('asInteger', QUANTITY, [], CelScalar.INT, function () {
    const n = nanosOf(this);
    const v = n / NANOS_PER_UNIT;
    if (n % NANOS_PER_UNIT !== 0n || v > INT64_MAX || v < INT64_MIN) {
      throw new Error('cannot convert value to integer');
    }
    return v;
  }),
  celMethod('add', QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return quantityValue(nanosOf(this) + nanosOf(o));
  }),
  celMethod('add', QUANTITY, [CelScalar.INT], QUANTITY, function (i) {
    return quantityValue(nanosOf(this) + i * NANOS_PER_UNIT);
  }),
  celMethod('sub', QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return quantityValue(nanosOf(this) - nanosOf(o));
  }),
  celMethod('sub', QUANTITY, [CelScalar.INT], QUANTITY, function (i) {
    return quantityValue(nanosOf(this) - i * NANOS_PER_UNIT);
  }),
];

const stdEqualsGroup = celEnv().funcs.find('_==_');
if (!stdEqualsGroup) throw new Error('internal: @bufbuild/cel has no _==_');
const stdEquals = stdEqualsGroup;
const K8S_TYPES = new Set([SemverDesc.typeName, QuantityDesc.typeName]);
const typeName = (v: unknown): string => (isReflectMessage(v) ? v.desc.typeName : typeof v);

/**
 * cel-go's `==` asks the left operand: a Semver or Quantity compared with a value of another type
 * (other than null) is a "no such overload" error, while `"1.2.3" == semver("1.2.3")` is false.
 */
function k8sEquals(l: CelValue, r: CelValue): boolean {
  if (
    r !== null &&
    isReflectMessage(l) &&
    K8S_TYPES.has(l.desc.typeName) &&
    typeName(r) !== l.desc.typeName
  ) {
    throw new Error(`no such overload: ${l.desc.typeName} == ${typeName(r)}`);
  }
  const res = stdEquals.call(0, undefined, [l, r]);
  if (res === undefined || isCelError(res))
    throw new Error(`no such overload: ${typeName(l)} == ${typeName(r)}`);
  return res === true;
}

const equalityFuncs: CelFunc[] = [
  celFunc('_==_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (l, r) => k8sEquals(l, r)),
  celFunc('_!=_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (l, r) => !k8sEquals(l, r)),
];

/** Every extension function of the DRA selector environment knd evaluates. */
export const k8sCelFuncs: readonly CelFunc[] = [
  ...strings,
  ...semverFuncs,
  ...quantityFuncs,
  ...equalityFuncs,
];
