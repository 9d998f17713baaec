// Pure apart from the selector compile cache: which taint effect a device gets, from the
// NetworkDeviceClasses that select it. Each class is evaluated exactly as the operator renders it
// into a DeviceClass (classExpressions) with the one CEL device model (lib/cel/device-model.ts), on
// the attributes the device is published with. The strongest effect of the matching classes wins;
// a device no class selects (or only classes without taintEffect) gets the default, NoSchedule.
// A class whose selector errors on the device does not select it (the scheduler could not
// allocate it through that class either).
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import { DEFAULT_TAINT_EFFECT, strongerEffect, type TaintEffect } from '../../../lib/api/device-taints.js';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { SelectorCache, type DraDeviceJson } from '../../../lib/cel/device-model.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';

export interface ClassEffect {
  name: string;
  expressions: readonly string[];
  effect: TaintEffect;
}

/**
 * Every class with its CEL and effect; empty when every class has the default effect, so the
 * caller can skip evaluating (and loading the CEL model) when no class chose another effect.
 */
export function classEffects(
  classes: readonly { name: string; spec: NetworkDeviceClassSpec }[],
): ClassEffect[] {
  if (classes.every((c) => (c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT) === DEFAULT_TAINT_EFFECT)) return [];
  return classes
    .map((c) => ({
      name: c.name,
      expressions: classExpressions({ spec: c.spec }),
      effect: c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export class EffectResolver {
  private readonly selectors = new SelectorCache();

  /** Strongest effect among the classes selecting `device`; NoSchedule when none does. */
  effectOf(classes: readonly ClassEffect[], device: DraDeviceJson): TaintEffect {
    let effect: TaintEffect | undefined;
    for (const c of classes) {
      if (this.selectors.evaluate(c.expressions, DRIVER_NAME, device).kind !== 'match') continue;
      effect = effect === undefined ? c.effect : strongerEffect(effect, c.effect);
    }
    return effect ?? DEFAULT_TAINT_EFFECT;
  }
}
