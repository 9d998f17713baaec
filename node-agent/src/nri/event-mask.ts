// NRI event subscription mask (containerd/nri:pkg/api/event.go and api.proto). Pure.
// Mask bit of event e is 1 << (e - 1). A mask of 0 would subscribe to every event (and make the
// plugin a validator on NRI >= v0.10), so knd always sends an explicit mask.
export const NriEvent = {
  UNKNOWN: 0,
  RUN_POD_SANDBOX: 1,
  STOP_POD_SANDBOX: 2,
  REMOVE_POD_SANDBOX: 3,
  CREATE_CONTAINER: 4,
  POST_CREATE_CONTAINER: 5,
  START_CONTAINER: 6,
  POST_START_CONTAINER: 7,
  UPDATE_CONTAINER: 8,
  POST_UPDATE_CONTAINER: 9,
  STOP_CONTAINER: 10,
  REMOVE_CONTAINER: 11,
  UPDATE_POD_SANDBOX: 12,
  POST_UPDATE_POD_SANDBOX: 13,
  VALIDATE_CONTAINER_ADJUSTMENT: 14,
} as const;
export type NriEventValue = (typeof NriEvent)[keyof typeof NriEvent];

/** Events valid on every NRI version (<= v0.9 ValidEvents = 0x07FF). */
const MAX_PORTABLE_EVENT = NriEvent.REMOVE_CONTAINER;

export function eventMask(events: readonly NriEventValue[]): number {
  let mask = 0;
  for (const e of events) {
    if (e < 1 || e > NriEvent.VALIDATE_CONTAINER_ADJUSTMENT)
      throw new Error(`event mask: invalid event ${e}`);
    mask |= 1 << (e - 1);
  }
  return mask;
}

/** The events knd subscribes to: 0x000F, valid on every runtime version. */
export const KND_EVENTS: readonly NriEventValue[] = [
  NriEvent.RUN_POD_SANDBOX,
  NriEvent.STOP_POD_SANDBOX,
  NriEvent.REMOVE_POD_SANDBOX,
  NriEvent.CREATE_CONTAINER,
];

export function isPortableMask(mask: number): boolean {
  return mask !== 0 && (mask & ~((1 << MAX_PORTABLE_EVENT) - 1)) === 0;
}
