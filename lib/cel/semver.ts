// Semantic versions as the Kubernetes CEL semver library sees them (k8s.io/apiserver
// pkg/cel/library/semverlib.go over github.com/blang/semver/v4): strict SemVer 2.0.0 parsing,
// the optional normalizing parse of semver(s, true), and precedence ordering. Build metadata is
// parsed but takes no part in ordering or equality. Pure.

export interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  /** Pre-release identifiers, e.g. ["rc", "1"] for 1.0.0-rc.1; empty for a release. */
  pre: string[];
  build: string[];
}

const MAX_UINT64 = (1n << 64n) - 1n;
const IDENT = /^[0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]+$/;

function number(part: string, what: string, text: string): bigint {
  if (!DIGITS.test(part)) throw new Error(`invalid semantic version "${text}": ${what} is not a number`);
  if (part.length > 1 && part.startsWith('0')) {
    throw new Error(`invalid semantic version "${text}": ${what} has a leading zero`);
  }
  const n = BigInt(part);
  if (n > MAX_UINT64) throw new Error(`invalid semantic version "${text}": ${what} is out of range`);
  return n;
}

/** Strict SemVer 2.0.0 (blang/semver Parse); throws with the reason. */
export function parseSemver(text: string): Semver {
  if (text === '') throw new Error('invalid semantic version "": empty');
  const parts = text.split('.');
  if (parts.length < 3) throw new Error(`invalid semantic version "${text}": needs major.minor.patch`);
  const [majorText = '', minorText = ''] = parts;
  let rest = parts.slice(2).join('.');
  let build: string[] = [];
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    build = rest.slice(plus + 1).split('.');
    rest = rest.slice(0, plus);
    if (build.some((b) => !IDENT.test(b))) {
      throw new Error(`invalid semantic version "${text}": invalid build metadata`);
    }
  }
  let pre: string[] = [];
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    pre = rest.slice(dash + 1).split('.');
    rest = rest.slice(0, dash);
    for (const p of pre) {
      if (!IDENT.test(p)) throw new Error(`invalid semantic version "${text}": invalid pre-release "${p}"`);
      if (DIGITS.test(p) && p.length > 1 && p.startsWith('0')) {
        throw new Error(`invalid semantic version "${text}": pre-release "${p}" has a leading zero`);
      }
    }
  }
  return {
    major: number(majorText, 'major', text),
    minor: number(minorText, 'minor', text),
    patch: number(rest, 'patch', text),
    pre,
    build,
  };
}

/**
 * semver(s, true): drops a leading "v", leading zeros, and fills a missing minor/patch with 0
 * (normalizeAndParse in the Kubernetes library), then parses strictly.
 */
export function parseSemverNormalized(text: string): Semver {
  const s = text.startsWith('v') ? text.slice(1) : text;
  const parts = s.split('.');
  const head = parts.slice(0, 2);
  const tail = parts.slice(2).join('.');
  const split = parts.length > 2 ? [...head, tail] : head;
  const trimmed = split.map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, '');
    return t === '' || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (trimmed.length < 3) {
    if (/[+-]/.test(trimmed[trimmed.length - 1] ?? '')) {
      throw new Error(`invalid semantic version "${text}": short version cannot contain pre-release/build`);
    }
    while (trimmed.length < 3) trimmed.push('0');
  }
  return parseSemver(trimmed.join('.'));
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function comparePre(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xn = DIGITS.test(x);
    const yn = DIGITS.test(y);
    let c: number;
    if (xn && yn) c = cmp(BigInt(x), BigInt(y));
    else if (xn) c = -1;
    else if (yn) c = 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

/** SemVer precedence: -1, 0 or 1. */
export function compareSemver(a: Semver, b: Semver): number {
  return cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch) || comparePre(a.pre, b.pre);
}
