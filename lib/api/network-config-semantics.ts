// The NetworkConfig rules that need address arithmetic, which core CEL cannot express, so they run
// in knd's validator only (the agent at prepare time, the operator, `knd validate-config`), not at
// admission. Pure. Called by validate-network-config.ts after the schema accepted the input, so
// every address here is already well-formed. Each problem names its field, e.g.
// `routes[1].destination: has host bits set; the prefix is 10.0.0.0/24`.
//
// The rules, each something the kernel refuses later or that breaks the pod:
//   - interface.addresses, routes[].gateway/source, neighbors[].destination: not unspecified
//     (0.0.0.0, ::), loopback (127/8, ::1) or multicast (224/4, ff00::/8);
//   - interface.addresses: each address once (IPv6 refuses a second prefix for the same address;
//     a repeated IPv4 address is a mistake too), compared after normalisation;
//   - routes[].destination: no host bits (the kernel refuses 10.0.0.1/24 with EINVAL);
//   - routes: no two with the same destination prefix and table (the second add fails with EEXIST);
//   - neighbors: each destination once (same reason).
import type { NetworkConfig } from './network-config.js';
import { formatIp, ipBytes, maskBytes, nonUnicastKind, parseCidr } from './ip.js';
import type { FieldProblem } from './validate-network-config.js';

/** The rules above, as the CRD reference lists them (docs/crd-reference.md, generated). */
export const SEMANTIC_RULES: readonly { field: string; rule: string }[] = [
  { field: 'interface.addresses[]', rule: 'not unspecified, loopback or multicast; each address once' },
  { field: 'routes[].destination', rule: 'no host bits set (10.0.0.0/24, not 10.0.0.1/24)' },
  { field: 'routes[]', rule: 'no two with the same destination prefix and table (default 254)' },
  { field: 'routes[].gateway, routes[].source', rule: 'not unspecified, loopback or multicast' },
  { field: 'neighbors[].destination', rule: 'not unspecified, loopback or multicast; each once' },
];

/** The main routing table, where a route without `table` goes. */
const MAIN_TABLE = 254;

const key = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function hostAddressProblem(path: string, address: string, out: FieldProblem[]): void {
  const bytes = ipBytes(address);
  const kind = bytes && nonUnicastKind(bytes);
  if (kind) out.push({ path, message: `must not be ${kind === 'unspecified' ? 'an' : 'a'} ${kind} address` });
}

/** Reports a later entry whose key an earlier one already has. */
function duplicates(): (path: string, k: string, what: string, out: FieldProblem[]) => void {
  const first = new Map<string, string>();
  return (path, k, what, out) => {
    const earlier = first.get(k);
    if (earlier === undefined) first.set(k, path);
    else out.push({ path, message: `duplicates ${earlier} (${what})` });
  };
}

export function semanticProblems(config: NetworkConfig): FieldProblem[] {
  const out: FieldProblem[] = [];

  const sameAddress = duplicates();
  (config.interface?.addresses ?? []).forEach((cidr, i) => {
    const path = `interface.addresses[${i}]`;
    const parsed = parseCidr(cidr);
    const bytes = parsed && ipBytes(parsed.address);
    if (!bytes) return;
    hostAddressProblem(path, parsed.address, out);
    sameAddress(path, key(bytes), 'same address', out);
  });

  const sameRoute = duplicates();
  (config.routes ?? []).forEach((r, i) => {
    const path = `routes[${i}]`;
    if (r.gateway !== undefined) hostAddressProblem(`${path}.gateway`, r.gateway, out);
    if (r.source !== undefined) hostAddressProblem(`${path}.source`, r.source, out);
    const parsed = parseCidr(r.destination);
    const bytes = parsed && ipBytes(parsed.address);
    if (!parsed || !bytes) return;
    const network = maskBytes(bytes, parsed.prefixLength);
    if (key(network) !== key(bytes)) {
      out.push({
        path: `${path}.destination`,
        message: `has host bits set; the prefix is ${formatIp(network)}/${parsed.prefixLength}`,
      });
    }
    const table = r.table ?? MAIN_TABLE;
    sameRoute(
      `${path}.destination`,
      `${key(network)}/${parsed.prefixLength}@${table}`,
      'same destination and table',
      out,
    );
  });

  const sameNeighbor = duplicates();
  (config.neighbors ?? []).forEach((n, i) => {
    const path = `neighbors[${i}].destination`;
    const bytes = ipBytes(n.destination);
    if (!bytes) return;
    hostAddressProblem(path, n.destination, out);
    sameNeighbor(path, key(bytes), 'same destination', out);
  });

  return out;
}
