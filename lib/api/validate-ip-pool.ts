// Validates an IPPool spec (ip-pool.ts): the schema (ajv, CEL rules, unknown fields are errors), then
// the address arithmetic CEL cannot do. Pure, never throws; every problem carries its field path,
// e.g. `ipv4.cidrs[1]: overlaps ipv4.cidrs[0]`. Used by the operator (pool Ready condition) and
// the agent (a pool it cannot use fails the claim's prepare with these messages).
//
// Rules after the schema, per family:
//   - cidrs[] and exclude[]: no host bits (10.0.0.0/24, not 10.0.0.1/24);
//   - cidrs[]: no two overlap (an address would count twice);
//   - gateway: inside one of the family's CIDRs (it must be on-link);
//   - routes[]: the NetworkConfig route rules (network-config-semantics.ts).
import { ipPoolSpecSchema, type IPPoolFamilySpec, type IPPoolSpec, type IpFamilyName } from './ip-pool.js';
import { ipBytes, maskBytes, formatIp, parseCidr } from './ip.js';
import { semanticProblems } from './network-config-semantics.js';
import { schemaValidator, type FieldProblem } from './validate-network-config.js';
import { bytesToBig, cidrRange } from '../ipam/pool-ranges.js';

export type IPPoolValidation = { ok: true; value: IPPoolSpec } | { ok: false; problems: FieldProblem[] };

const schemaProblems = schemaValidator(ipPoolSpecSchema);

function hostBitsProblem(cidr: string, path: string, out: FieldProblem[]): void {
  const p = parseCidr(cidr);
  const bytes = p && ipBytes(p.address);
  if (!p || !bytes) return;
  const masked = maskBytes(bytes, p.prefixLength);
  if (masked.some((b, i) => b !== bytes[i])) {
    out.push({ path, message: `has host bits set; the prefix is ${formatIp(masked)}/${p.prefixLength}` });
  }
}

function familyProblems(spec: IPPoolFamilySpec, family: IpFamilyName, base: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  const ranges = spec.cidrs.map((c, i) => {
    hostBitsProblem(c, `${base}.cidrs[${i}]`, out);
    return cidrRange(c, family);
  });
  ranges.forEach((r, i) => {
    const j = ranges.findIndex((o, k) => k < i && o && r && o.start <= r.end && r.start <= o.end);
    if (j >= 0) out.push({ path: `${base}.cidrs[${i}]`, message: `overlaps ${base}.cidrs[${j}]` });
  });
  (spec.exclude ?? []).forEach((x, i) => {
    hostBitsProblem(x, `${base}.exclude[${i}]`, out);
  });
  const gw = spec.gateway !== undefined ? ipBytes(spec.gateway) : undefined;
  if (gw) {
    const g = bytesToBig(gw);
    if (!ranges.some((r) => r && g >= r.start && g <= r.end)) {
      out.push({ path: `${base}.gateway`, message: `must be inside one of ${base}.cidrs (on-link)` });
    }
  }
  for (const p of semanticProblems({ routes: spec.routes ?? [] })) {
    out.push({ path: `${base}.${p.path}`, message: p.message });
  }
  return out;
}

/** Validate untrusted JSON as an IPPool spec. Never throws. */
export function validateIPPoolSpec(input: unknown): IPPoolValidation {
  const problems = schemaProblems(input);
  if (problems.length > 0) return { ok: false, problems };
  const spec = input as IPPoolSpec;
  const semantic = [
    ...(spec.ipv4 ? familyProblems(spec.ipv4, 'IPv4', 'ipv4') : []),
    ...(spec.ipv6 ? familyProblems(spec.ipv6, 'IPv6', 'ipv6') : []),
  ];
  return semantic.length === 0 ? { ok: true, value: spec } : { ok: false, problems: semantic };
}
