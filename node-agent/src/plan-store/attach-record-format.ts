// The durable format of NRI attach records (attachments/<claimUid>_<podUid>_<deviceName>.json):
// an envelope with the boot id around the AttachRecord of node-agent/src/netns/contract.ts.
// Version history:
//   1  `{ bootId, record }`, no `formatVersion` (agents before formats were versioned).
//   2  `{ formatVersion: 2, bootId, record }`.
// Stable header (every future version keeps these paths): `bootId`, `record.deviceName`; the file
// name carries the device name too.
import type { AttachRecord } from '../netns/contract.js';
import { isJsonObject, type DurableFormat, type JsonObject } from './durable-format.js';

export const ATTACH_RECORD_FORMAT_VERSION = 2;

export interface RecordEnvelope {
  formatVersion: typeof ATTACH_RECORD_FORMAT_VERSION;
  bootId: string;
  record: AttachRecord;
}

function checkEnvelope(doc: JsonObject): string | undefined {
  if (typeof doc.bootId !== 'string') return 'bootId: must be a string';
  const r = doc.record;
  if (!isJsonObject(r)) return 'record: must be an object';
  for (const key of ['claimUid', 'podUid', 'deviceName', 'netnsPath', 'podIfName'] as const) {
    if (typeof r[key] !== 'string') return `record.${key}: must be a string`;
  }
  if (!isJsonObject(r.host)) return 'record.host: must be an object';
  return undefined;
}

export const attachRecordFormat: DurableFormat<RecordEnvelope> = {
  what: 'attach record',
  current: ATTACH_RECORD_FORMAT_VERSION,
  unversioned: 1,
  upgrades: {
    // 1 -> 2: the envelope gains its version stamp; the record is unchanged
    1: (doc) => ({ ...doc, formatVersion: 2 }),
  },
  check: checkEnvelope,
  value: (doc) => doc as unknown as RecordEnvelope,
  header: (doc) => ({
    ...(typeof doc.bootId === 'string' ? { bootId: doc.bootId } : {}),
    deviceNames:
      isJsonObject(doc.record) && typeof doc.record.deviceName === 'string' ? [doc.record.deviceName] : [],
  }),
};
