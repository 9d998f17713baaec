// NRI event subscription mask (containerd/nri:pkg/api/event.go). Pure.
// Mask bit of event e is 1 << (e - 1). A mask of 0 would subscribe to every event (and make the
// plugin a validator on NRI >= v0.10), so the stub never sends one (nri-hooks.ts).
import { Event } from '../generated/nri-api.js';

/** The events of the .proto's Event enum (UNKNOWN and LAST are bounds, not events). */
export type EventName = Exclude<keyof typeof Event, 'UNKNOWN' | 'LAST'>;

/** Events valid on every NRI version (<= v0.9 ValidEvents = 0x07FF). */
const MAX_PORTABLE_EVENT = Event.REMOVE_CONTAINER;

export function eventMask(events: readonly number[]): number {
  let mask = 0;
  for (const e of events) {
    if (e < 1 || e >= Event.LAST) throw new Error(`event mask: invalid event ${e}`);
    mask |= 1 << (e - 1);
  }
  return mask;
}

export function isPortableMask(mask: number): boolean {
  return mask !== 0 && (mask & ~((1 << MAX_PORTABLE_EVENT) - 1)) === 0;
}
