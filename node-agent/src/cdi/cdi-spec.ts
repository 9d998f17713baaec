// Pure rendering of knd's per-claim CDI spec and its qualified device ids: per device the attach
// guard hook (attach-guard.ts) and the RDMA character devices. No I/O; cdi-writer.ts puts the result
// on disk. Rules from the CDI specification (cncf-tags/container-device-interface SPEC.md):
// kind `<vendor>/<class>` = `knd.dev/claim`; one CDI device per (claim, DRA device) named
// `<claimUid>-<deviceName>`; the declared cdiVersion is the LOWEST that covers the fields used, so
// older containerd CDI libraries accept the file (a 1.1.0 spec is rejected by containerd < 2.2.7).
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import type { CharDevicePlan } from '../plan-store/plan.js';
import { join } from 'node:path';
import { completionFileName } from './attach-completion.js';
import { attachGuardHook, type CdiHook } from './attach-guard.js';

export const CDI_VENDOR = DRIVER_NAME;
export const CDI_CLASS = 'claim';
export const CDI_KIND = `${CDI_VENDOR}/${CDI_CLASS}`;

export interface CdiDeviceNode {
  path: string;
  hostPath?: string;
  type: 'c';
  major: number;
  minor: number;
  fileMode: number;
  permissions: string;
}

export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  devices: { name: string; containerEdits: { deviceNodes?: CdiDeviceNode[]; hooks: CdiHook[] } }[];
}

export interface CdiClaimDevice {
  deviceName: string;
  /** Interface name inside the pod: what the attach guard looks for. */
  podIfName: string;
  charDevices: CharDevicePlan[];
}

export function cdiDeviceName(claimUid: string, deviceName: string): string {
  return `${claimUid}-${deviceName}`;
}

/** Fully qualified CDI id, as returned to the kubelet in Device.cdi_device_ids. */
export function cdiDeviceId(claimUid: string, deviceName: string): string {
  return `${CDI_KIND}=${cdiDeviceName(claimUid, deviceName)}`;
}

/** Transient spec file name for a claim (GenerateTransientSpecName convention: `<vendor>-<class>_<id>`). */
export function cdiSpecFileName(claimUid: string): string {
  return `${CDI_VENDOR}-${CDI_CLASS}_${claimUid}.json`;
}

/**
 * Lowest cdiVersion the spec needs. knd emits device nodes and createRuntime hooks (allowed since
 * 0.3.0), so the relevant rules are: 0.3.0 baseline (earliest the CDI library accepts); 0.5.0 when a
 * device node has `hostPath` or a device name does not start with a letter (claim uids may start
 * with a digit).
 */
export function minimumCdiVersion(spec: Omit<CdiSpec, 'cdiVersion'>): string {
  const needs050 = spec.devices.some(
    (d) =>
      !/^[A-Za-z]/.test(d.name) || (d.containerEdits.deviceNodes ?? []).some((n) => n.hostPath !== undefined),
  );
  return needs050 ? '0.5.0' : '0.3.0';
}

/**
 * The claim's spec: one CDI device per DRA device (guard hook + char devices); undefined when empty.
 * `completionDir` is where the agent writes the attach completion marks (attach-completion.ts).
 */
export function renderCdiSpec(
  claimUid: string,
  claimLabel: string,
  devices: readonly CdiClaimDevice[],
  completionDir: string,
): CdiSpec | undefined {
  const out: CdiSpec['devices'] = devices.map((d) => ({
    name: cdiDeviceName(claimUid, d.deviceName),
    containerEdits: {
      ...(d.charDevices.length > 0
        ? {
            deviceNodes: d.charDevices.map((c) => ({
              path: c.path,
              ...(c.hostPath !== c.path ? { hostPath: c.hostPath } : {}),
              type: 'c' as const,
              major: c.major,
              minor: c.minor,
              fileMode: c.fileMode,
              permissions: c.permissions,
            })),
          }
        : {}),
      hooks: [
        attachGuardHook(
          d.podIfName,
          claimLabel,
          d.deviceName,
          join(completionDir, completionFileName(claimUid, d.deviceName)),
        ),
      ],
    },
  }));
  if (out.length === 0) return undefined;
  const body = { kind: CDI_KIND, devices: out };
  return { cdiVersion: minimumCdiVersion(body), ...body };
}
