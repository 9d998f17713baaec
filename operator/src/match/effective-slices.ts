// The slices consumers should use: per (driver, pool), only those at the highest pool generation
// (older ones are being replaced by the publisher). Pure.
import type { ResourceSliceJson } from '../../../lib/cel/device-model.js';

export function effectiveSlices(slices: readonly ResourceSliceJson[]): ResourceSliceJson[] {
  const maxGen = new Map<string, number>();
  const key = (s: ResourceSliceJson): string => `${s.spec?.driver ?? ''}\u0000${s.spec?.pool?.name ?? ''}`;
  for (const s of slices) {
    const g = s.spec?.pool?.generation ?? 0;
    if (g > (maxGen.get(key(s)) ?? -1)) maxGen.set(key(s), g);
  }
  return slices.filter((s) => (s.spec?.pool?.generation ?? 0) === maxGen.get(key(s)));
}
