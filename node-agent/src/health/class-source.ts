// The NetworkDeviceClasses' taint effects, for the health monitor. Lists the classes every
// intervalMs (default 10 s: they change rarely, and an effect change only matters for the next
// taint; no watch connection is held). A failed list (no RBAC, CRD not installed, apiserver down)
// keeps the last known classes and is logged once per distinct error. The CEL model is loaded
// only once some class chooses an effect other than the default (class-effects.ts).
import { DEFAULT_TAINT_EFFECT, type TaintEffect } from '../../../lib/api/device-taints.js';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { API_GROUP_VERSION } from '../../../lib/api/constants.js';
import { decodeKubeObject } from '../../../lib/kube/decode.js';
import type { KubeRestClient } from '../../../lib/kube/rest-client.js';
import { resourcePath } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import type { ClassEffect, EffectResolver } from './class-effects.js';

export interface ClassSource {
  effectOf(device: InventoryDevice): TaintEffect;
  /** List now; resolves when done (the first list, in main, before the monitor starts). */
  refresh(): Promise<void>;
  stop(): void;
}

interface ClassItem {
  name: string;
  spec: NetworkDeviceClassSpec;
}

function decodeClass(raw: unknown): ClassItem {
  const o = decodeKubeObject(raw);
  const spec = o['spec'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new Error(`NetworkDeviceClass ${o.metadata.name}: spec: must be an object`);
  return { name: o.metadata.name, spec };
}

export function startClassSource(opts: {
  client: KubeRestClient;
  logger: Logger;
  intervalMs?: number;
  onChange: () => void;
}): ClassSource {
  let effects: ClassEffect[] = [];
  let resolver: EffectResolver | undefined;
  let lastKey = '';
  let lastError = '';
  const path = resourcePath(API_GROUP_VERSION, 'networkdeviceclasses');

  const refresh = async (): Promise<void> => {
    try {
      const list = await opts.client.listAll(path, decodeClass);
      lastError = '';
      const key = JSON.stringify(
        list.items.map((c) => [c.name, c.spec.selector, c.spec.cel, c.spec.taintEffect]),
      );
      if (key === lastKey) return;
      lastKey = key;
      const needsCel = list.items.some(
        (c) => (c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT) !== DEFAULT_TAINT_EFFECT,
      );
      if (needsCel) {
        const m = await import('./class-effects.js');
        resolver ??= new m.EffectResolver();
        effects = m.classEffects(list.items);
      } else {
        effects = [];
      }
      opts.logger.info('taint effects of NetworkDeviceClasses', {
        classes: list.items.length,
        effects: Object.fromEntries(
          list.items.map((c) => [c.name, c.spec.taintEffect ?? DEFAULT_TAINT_EFFECT]),
        ),
      });
      opts.onChange();
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== lastError)
        opts.logger.warn('listing NetworkDeviceClasses failed; taint effects stay as they were', {
          error: msg,
        });
      lastError = msg;
    }
  };
  const timer = setInterval(() => void refresh(), opts.intervalMs ?? 10_000);
  timer.unref();
  return {
    effectOf: (d) => (resolver && effects.length > 0 ? resolver.effectOf(effects, d) : DEFAULT_TAINT_EFFECT),
    refresh,
    stop: () => {
      clearInterval(timer);
    },
  };
}
