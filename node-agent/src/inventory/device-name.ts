// Device names in the ResourceSlice (DNS labels, unique in the pool). They must stay stable while a
// netdev sits inside a pod, so PCI functions are named by PCI address (pci-address.ts) and
// non-PCI netdevs by their host interface name: as is when it is already a DNS label, otherwise
// `net-` + the RFC 4648 base32 of the name in lower case, which is reversible and collision-free
// (an interface name is at most 15 bytes, so at most 28 characters). Pure.

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function isDnsLabel(s: string): boolean {
  return DNS_LABEL_RE.test(s);
}

export function base32Lower(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31] ?? '';
  return out;
}

/** Name for a non-PCI netdev. Names starting `pci-` or `net-` are encoded too, so they never collide. */
export function netdevDeviceName(ifName: string): string {
  if (isDnsLabel(ifName) && !ifName.startsWith('pci-') && !ifName.startsWith('net-')) return ifName;
  return `net-${base32Lower(new TextEncoder().encode(ifName))}`;
}
