// The one sample AttachPlan of the tests and benchmarks, and the PodSandbox the NRI tests send.
import type { AttachPlan, DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { PLAN_FORMAT_VERSION } from '../../node-agent/src/plan-store/plan.js';
import type { PodSandbox } from '../../node-agent/src/nri/nri-messages.js';

export interface SamplePlanOptions {
  /** Default `claim-<claimUid>`. */
  claimName?: string;
  /** Default `boot-1` (a store stamps its own when the test needs one). */
  bootId?: string;
  /** Default a fixed instant. */
  preparedAt?: string;
}

/** A plan for `claimUid` reserved for `podUids`; device i defaults to `dev-i` on host `eth<i+1>` as `net<i+1>`. */
export function samplePlan(
  claimUid: string,
  podUids: string[],
  devices: Partial<DevicePlan>[],
  opts: SamplePlanOptions = {},
): AttachPlan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    claim: { namespace: 'default', name: opts.claimName ?? `claim-${claimUid}`, uid: claimUid },
    bootId: opts.bootId ?? 'boot-1',
    podUids,
    preparedAt: opts.preparedAt ?? '2026-11-28T06:00:00Z',
    devices: devices.map((d, i) =>
      sampleDevice({
        deviceName: `dev-${String(i)}`,
        host: { ifName: `eth${String(i + 1)}` },
        podIfName: `net${String(i + 1)}`,
        ...d,
      }),
    ),
  };
}

/** One device of the sample plan: `dev-0` on host `eth1` as `net1`, one address, nothing else. */
export function sampleDevice(d: Partial<DevicePlan> = {}): DevicePlan {
  return {
    request: 'nic',
    poolName: 'node-a',
    deviceName: 'dev-0',
    host: { ifName: 'eth1' },
    podIfName: 'net1',
    addresses: ['198.51.100.10/24'],
    routes: [],
    rules: [],
    neighbors: [],
    ethtoolFeatures: {},
    cdiDeviceIds: [],
    ...d,
  };
}

/**
 * The full attach the kernel and runtime tiers and the benchmarks perform on a host link: rename to
 * net1, MTU 9000, MAC 02:00:5e:10:00:01, one IPv4 and one IPv6 address, a gateway route and a
 * link-scope route (documentation ranges only).
 */
export function fullAttachDevice(
  host: DevicePlan['host'],
  extra: Partial<DevicePlan> = {},
): Partial<DevicePlan> {
  return {
    deviceName: host.ifName,
    host,
    podIfName: 'net1',
    mtu: 9000,
    hardwareAddr: '02:00:5e:10:00:01',
    addresses: ['203.0.113.10/24', '2001:db8:0:1::10/64'],
    routes: [
      { destination: '198.51.100.0/24', gateway: '203.0.113.1' },
      { destination: '198.18.0.0/15', scope: 253 },
    ],
    ...extra,
  };
}

export function samplePod(uid: string, netnsPath: string | null = `/var/run/netns/cni-${uid}`): PodSandbox {
  return {
    id: `sandbox-${uid}`,
    name: `pod-${uid}`,
    uid,
    namespace: 'default',
    labels: {},
    annotations: {},
    runtime_handler: '',
    linux: {
      namespaces: netnsPath === null ? [] : [{ type: 'network', path: netnsPath }],
      cgroups_path: '',
      cgroup_parent: '',
    },
    pid: 0,
    ips: [],
  };
}
