// NetworkProfile tolerations -> the DeviceToleration list of the generated NIC request. Pure.
// The apiserver defaults `operator` to Equal; rendering it explicitly keeps the generated template
// equal to what the apiserver stores, so the drift check does not re-apply it on every reconcile.
import type { DeviceToleration } from '../../../lib/api/device-taints.js';

export function renderTolerations(tolerations: readonly DeviceToleration[]): DeviceToleration[] {
  return tolerations.map((t) => ({
    ...(t.key !== undefined && t.key !== '' ? { key: t.key } : {}),
    operator: t.operator ?? 'Equal',
    ...(t.value !== undefined && t.value !== '' ? { value: t.value } : {}),
    ...(t.effect !== undefined ? { effect: t.effect } : {}),
    ...(t.tolerationSeconds !== undefined ? { tolerationSeconds: t.tolerationSeconds } : {}),
  }));
}
