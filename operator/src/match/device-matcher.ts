// Counts the devices and nodes a list of DRA CEL selectors matches, over ResourceSlices as the
// apiserver returns them (JSON), with knd's model of the scheduler's `device` variable
// (lib/cel/device-model.ts). A device on which a selector errors is not counted (the scheduler
// cannot allocate it: it fails the attempt on that node). Pure apart from the compile cache and
// the count memo.
import {
  SelectorCache,
  type DraDeviceJson,
  type ResourceSliceJson,
  type SelectorVerdict,
} from '../../../lib/cel/device-model.js';

export class DeviceMatcher {
  private readonly selectors = new SelectorCache();

  /** The scheduler's verdict for one device of `driver`. */
  verdict(exprs: readonly string[], driver: string, device: DraDeviceJson): SelectorVerdict {
    return this.selectors.evaluate(exprs, driver, device);
  }

  /** True when every expression evaluates to exactly `true`. */
  matches(exprs: readonly string[], driver: string, device: DraDeviceJson): boolean {
    return this.verdict(exprs, driver, device).kind === 'match';
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
        if (this.matches(exprs, driver, d)) {
          devices++;
          nodes.add(s.spec?.nodeName ?? (s.spec?.allNodes ? '*' : ''));
        }
      }
    }
    return { devices, nodes: nodes.size };
  }
}
