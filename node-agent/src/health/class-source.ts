// The NetworkDeviceClasses' taint effects, for the health monitor. A consumer of the agent's one
// class list (classes/class-list.ts: listed every 10 s, the last good list kept when a list fails,
// a failed list logged there): update() takes each changed list. Until the first list every device
// gets the default effect. Only the classes' selectors and effects count: a list that changes
// neither (e.g. a class's config or share) neither logs nor calls onChange. The CEL model is loaded
// only once some class chooses an effect other than the default (class-effects.ts).
import { DEFAULT_TAINT_EFFECT, type TaintEffect } from '../../../lib/api/device-taints.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { ClassItem } from '../classes/class-list.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { ClassEffect, EffectResolver } from './class-effects.js';

export interface ClassSource {
  effectOf(device: InventoryDevice): TaintEffect;
  /** The class list's subscriber: takes the classes' effects; onChange() when they changed. */
  update(items: readonly ClassItem[]): Promise<void>;
}

/** What the effects depend on; equal keys: the same effects for every device. Pure. */
export function effectsKey(items: readonly ClassItem[]): string {
  return JSON.stringify(items.map((c) => [c.name, c.spec.selector, c.spec.cel, c.spec.taintEffect]));
}

/** Whether any class chooses an effect other than the default (only then is CEL needed). Pure. */
export function needsEvaluation(items: readonly ClassItem[]): boolean {
  return items.some((c) => (c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT) !== DEFAULT_TAINT_EFFECT);
}

export function classSource(opts: { logger: Logger; onChange: () => void }): ClassSource {
  let effects: ClassEffect[] = [];
  let resolver: EffectResolver | undefined;
  let lastKey: string | undefined;
  return {
    effectOf: (d) => (resolver && effects.length > 0 ? resolver.effectOf(effects, d) : DEFAULT_TAINT_EFFECT),
    async update(items) {
      const key = effectsKey(items);
      if (key === lastKey) return;
      if (needsEvaluation(items)) {
        const m = await import('./class-effects.js');
        resolver ??= new m.EffectResolver();
        effects = m.classEffects(items);
      } else {
        effects = [];
      }
      lastKey = key;
      opts.logger.info('taint effects of NetworkDeviceClasses', {
        classes: items.length,
        effects: Object.fromEntries(items.map((c) => [c.name, c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT])),
      });
      opts.onChange();
    },
  };
}
