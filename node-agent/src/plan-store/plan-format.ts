// The durable format of AttachPlans (plans/<claimUid>.json). Version history:
//   1  the AttachPlan of plan.ts, `formatVersion: 1` inside the plan (the first format).
//   2  devices[].child (a shared device's child link). A version-1 agent would move the parent NIC
//      of such a plan, so it must refuse the plan; a version-1 plan has no child and converts as is.
// Stable header (every future version keeps these paths): `bootId`, `devices[].deviceName`.
import { isJsonObject, stringsAt, type DurableFormat, type JsonObject } from './durable-format.js';
import { PLAN_FORMAT_VERSION, type AttachPlan } from './plan.js';

function checkPlan(doc: JsonObject): string | undefined {
  if (typeof doc.bootId !== 'string') return 'bootId: must be a string';
  if (!isJsonObject(doc.claim) || typeof doc.claim.uid !== 'string') return 'claim.uid: must be a string';
  if (!Array.isArray(doc.podUids)) return 'podUids: must be a list';
  if (!Array.isArray(doc.devices)) return 'devices: must be a list';
  const i = doc.devices.findIndex((d) => !isJsonObject(d) || typeof d.deviceName !== 'string');
  if (i >= 0) return `devices[${String(i)}].deviceName: must be a string`;
  return undefined;
}

export const planFormat: DurableFormat<AttachPlan> = {
  what: 'plan',
  current: PLAN_FORMAT_VERSION,
  upgrades: {
    1: (doc) => ({ ...doc, formatVersion: 2 }),
  },
  check: checkPlan,
  value: (doc) => doc as unknown as AttachPlan,
  header: (doc) => ({
    ...(typeof doc.bootId === 'string' ? { bootId: doc.bootId } : {}),
    deviceNames: stringsAt(doc.devices, 'deviceName'),
  }),
};
