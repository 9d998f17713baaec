// Kubernetes resource quantities (k8s.io/apimachinery resource.ParseQuantity) as exact values in
// nano-units, the finest precision a Quantity keeps: "1.5Gi" -> 1610612736000000000n. Parsing
// follows ParseQuantity: optional sign, digits with an optional fraction, then one suffix (binary
// Ki..Ei, decimal n u m "" k M G T P E, or an exponent e3/E-2); non-zero values finer than a
// nano-unit round away from zero. Pure.

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const NUMBER = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

/** Value of `text` in nano-units; throws for anything ParseQuantity rejects. */
export function parseQuantityNanos(text: string): bigint {
  const m = NUMBER.exec(text);
  if (text === '' || !m) throw new Error(`invalid quantity "${text}"`);
  const [, sign = '', intPart = '', frac = '', suffix = ''] = m;
  if (intPart === '' && frac === '' && !text.includes('.')) throw new Error(`invalid quantity "${text}"`);
  let multiplier = 1n;
  let exp10: number;
  const binary = BINARY[suffix];
  if (binary !== undefined) {
    multiplier = binary;
    exp10 = 0;
  } else if (suffix in DECIMAL_EXP) {
    exp10 = DECIMAL_EXP[suffix] ?? 0;
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    exp10 = Number(suffix.slice(1));
  } else {
    throw new Error(`invalid quantity "${text}": unknown suffix "${suffix}"`);
  }
  // value = digits * 10^(exp10 - frac.length) * multiplier; nanos = value * 10^9, rounded away from 0
  const digits = BigInt(`${intPart}${frac}` || '0');
  const scale = exp10 - frac.length + 9;
  let nanos: bigint;
  if (scale >= 0) {
    nanos = digits * multiplier * 10n ** BigInt(scale);
  } else {
    const num = digits * multiplier;
    const den = 10n ** BigInt(-scale);
    nanos = num / den + (num % den === 0n ? 0n : 1n);
  }
  return sign === '-' ? -nanos : nanos;
}

export const NANOS_PER_UNIT = 1_000_000_000n;
