// Unit-test ClaimStatusSink: records outcomes.
import type { AttachRecord } from '../../../node-agent/src/netns/contract.js';
import type { ClaimRef, DevicePlan } from '../../../node-agent/src/plan-store/plan.js';
import type { ClaimStatusSink, PodIdentity } from '../../../node-agent/src/nri/handler-deps.js';

export class RecordingStatus implements ClaimStatusSink {
  readonly ready: { claim: ClaimRef; pod: PodIdentity; records: AttachRecord[] }[] = [];
  readonly failures: {
    claim: ClaimRef;
    pod: PodIdentity;
    devices: string[];
    reason: string;
    message: string;
  }[] = [];
  attached(claim: ClaimRef, pod: PodIdentity, devices: { device: DevicePlan; record: AttachRecord }[]): void {
    this.ready.push({ claim, pod, records: devices.map((d) => d.record) });
  }
  failed(claim: ClaimRef, pod: PodIdentity, devices: DevicePlan[], reason: string, message: string): void {
    this.failures.push({ claim, pod, devices: devices.map((d) => d.deviceName), reason, message });
  }
}
