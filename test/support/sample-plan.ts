// Builders of AttachPlan / PodSandbox values for unit tests.
import type { AttachPlan, DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { PLAN_FORMAT_VERSION } from '../../node-agent/src/plan-store/plan.js';
import type { PodSandbox } from '../../node-agent/src/nri/nri-messages.js';

export function samplePlan(claimUid: string, podUids: string[], devices: Partial<DevicePlan>[]): AttachPlan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    claim: { namespace: 'default', name: `claim-${claimUid}`, uid: claimUid },
    bootId: 'boot-1',
    podUids,
    preparedAt: '2026-11-28T06:00:00Z',
    devices: devices.map((d, i) => ({
      request: 'nic',
      poolName: 'node-a',
      deviceName: `dev-${i}`,
      host: { ifName: `eth${i + 1}` },
      podIfName: `net${i + 1}`,
      addresses: ['198.51.100.10/24'],
      routes: [],
      rules: [],
      neighbors: [],
      ethtoolFeatures: {},
      cdiDeviceIds: [],
      ...d,
    })),
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
