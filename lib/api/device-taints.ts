// Device taints and tolerations (resource.k8s.io/v1 DeviceTaint, DeviceToleration; KEP-5055) as knd
// uses them: the taint key the node agent puts on an unhealthy NIC, its values, the effects a
// NetworkDeviceClass may choose, and the toleration shape a NetworkProfile accepts (rendered as-is
// into the ResourceClaimTemplate request). Names here are public API (docs/health.md).
import { DRIVER_NAME } from './constants.js';
import type { JsonSchema } from './network-config-schema.js';

/** The one key knd taints unhealthy devices with; the value says why. */
export const HEALTH_TAINT_KEY = `${DRIVER_NAME}/unhealthy`;

/** Taint values (the reason), strongest first when several hold at once. */
export const HealthReason = {
  /** A PCI function lost its netdev (driver unbound, device removed from the host namespace). */
  Gone: 'Gone',
  /** The link was administratively up and was set down by someone other than knd. */
  AdminDown: 'AdminDown',
  /** The link is up but has no carrier (cable, switch port, a veth's peer down). */
  NoCarrier: 'NoCarrier',
  /** An RDMA port of the device is not ACTIVE while its netdev is up. */
  RdmaPortNotActive: 'RdmaPortNotActive',
} as const;
export type HealthReasonName = (typeof HealthReason)[keyof typeof HealthReason];

export const TAINT_EFFECTS = ['None', 'NoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];
export const DEFAULT_TAINT_EFFECT: TaintEffect = 'NoSchedule';

/**
 * Label the agent puts on its ResourceSlices once the apiserver dropped the taints it wrote
 * (DRADeviceTaints off); the operator reports it in the DeviceTaints condition.
 */
export const LABEL_DEVICE_TAINTS = `${DRIVER_NAME}/device-taints`;
export const DEVICE_TAINTS_UNSUPPORTED = 'unsupported';

/** resource.k8s.io/v1 limits: taints per device, and devices per slice once any device has one. */
export const MAX_TAINTS_PER_DEVICE = 16;
export const MAX_DEVICES_PER_SLICE_WITH_TAINTS = 64;

/** Stronger effect wins (NoExecute > NoSchedule > None). */
export function strongerEffect(a: TaintEffect, b: TaintEffect): TaintEffect {
  return TAINT_EFFECTS.indexOf(a) >= TAINT_EFFECTS.indexOf(b) ? a : b;
}

/** One DeviceTaint as knd writes it (timeAdded: RFC 3339, seconds precision, as the apiserver stores it). */
export interface DeviceTaint {
  key: string;
  value: string;
  effect: TaintEffect;
  timeAdded: string;
}

/** resource.k8s.io/v1 DeviceToleration. */
export interface DeviceToleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

const LABEL_NAME =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

export const taintEffectSchema: JsonSchema = {
  type: 'string',
  enum: [...TAINT_EFFECTS],
  description: `Effect of the ${HEALTH_TAINT_KEY} taint the agent puts on an unhealthy device of the class: None (informational), NoSchedule (default: no new allocations), NoExecute (also evict pods holding it). When several classes select a device, the strongest effect wins.`,
};

export const tolerationsSchema: JsonSchema = {
  type: 'array',
  maxItems: 16,
  'x-kubernetes-list-type': 'atomic',
  description: `DRA device tolerations for the NIC request (resource.k8s.io/v1 DeviceToleration), e.g. {key: ${HEALTH_TAINT_KEY}, operator: Exists, effect: NoExecute, tolerationSeconds: 30} to keep a pod for 30 s after its NIC turns unhealthy.`,
  items: {
    type: 'object',
    properties: {
      key: {
        type: 'string',
        maxLength: 316,
        pattern: LABEL_NAME,
        description: 'Taint key; empty matches every key (then operator must be Exists).',
      },
      operator: { type: 'string', enum: ['Exists', 'Equal'], description: 'Equal (default) or Exists.' },
      value: {
        type: 'string',
        maxLength: 63,
        pattern: LABEL_VALUE,
        description: 'Taint value for Equal, e.g. NoCarrier; must be empty with Exists.',
      },
      effect: {
        type: 'string',
        enum: ['NoSchedule', 'NoExecute'],
        description: 'Effect to match; empty matches every effect.',
      },
      tolerationSeconds: {
        type: 'integer',
        minimum: 0,
        description: 'For NoExecute: how long the pod may keep the device after the taint was added.',
      },
    },
    'x-kubernetes-validations': [
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: 'value must be empty when operator is Exists',
        fieldPath: '.value',
      },
      {
        rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
        message: 'an empty key needs operator Exists',
        fieldPath: '.key',
      },
    ],
  },
};
