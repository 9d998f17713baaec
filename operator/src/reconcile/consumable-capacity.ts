// Whether the apiserver serves DRA consumable capacity (KEP-5075: beta and on by default in
// Kubernetes 1.36 and 1.37, alpha and off in 1.35), learned from what it returns: an apiserver
// without it drops `capacity` from a device request on write. The probe is a server-side dry-run
// create of a ResourceClaimTemplate asking for capacity (nothing is stored), made once and
// repeated every recheckMs, only while some NetworkDeviceClass has spec.shared.
//
// Contract: caller is the operator's NetworkDeviceClass reconcile. served() never throws: a probe
// that fails (apiserver down, RBAC) answers `undefined` (unknown) and is retried on the next call.
// Time limit: the REST client's request timeout. Idempotent (dry-run).
import { KIND_NETWORK_DEVICE_CLASS } from '../../../lib/api/constants.js';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import { CAPACITY_BANDWIDTH } from '../../../lib/api/shared-device.js';
import type { KubeRestClient } from '../../../lib/kube/rest-client.js';
import { generatedLabels } from '../render/labels.js';
import { Reason, type ReadyState } from '../status/conditions.js';
import type { Decision } from './decision.js';

export const PROBE_TEMPLATE_NAME = 'knd-consumable-capacity-probe';

/** The dry-run object: one request of any class asking for 1M of bandwidth. */
export function probeTemplate(namespace: string): unknown {
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaimTemplate',
    // labelled like every generated object: the chart's admission policy checks dry-runs too
    metadata: {
      name: PROBE_TEMPLATE_NAME,
      namespace,
      labels: generatedLabels(KIND_NETWORK_DEVICE_CLASS, PROBE_TEMPLATE_NAME),
    },
    spec: {
      spec: {
        devices: {
          requests: [
            {
              name: 'probe',
              exactly: {
                deviceClassName: 'knd-probe',
                capacity: { requests: { [CAPACITY_BANDWIDTH]: '1M' } },
              },
            },
          ],
        },
      },
    },
  };
}

/** True when the returned template still has the capacity request the probe sent. */
export function capacityRequestKept(returned: unknown): boolean {
  const requests = (returned as { spec?: { spec?: { devices?: { requests?: unknown } } } } | undefined)?.spec
    ?.spec?.devices?.requests;
  if (!Array.isArray(requests)) return false;
  const first = requests[0] as
    { exactly?: { capacity?: { requests?: Record<string, unknown> } } } | undefined;
  return first?.exactly?.capacity?.requests?.[CAPACITY_BANDWIDTH] !== undefined;
}

/**
 * A shared class on an apiserver without consumable capacity is not Ready, whatever else the
 * decision says (its DeviceClass is still written: it becomes usable when the feature is turned on).
 */
export function withSharedReadiness<T>(
  decision: Decision<T>,
  ndc: Pick<NetworkDeviceClass, 'spec'>,
  served: boolean | undefined,
): Decision<T> {
  if (ndc.spec.shared === undefined || !decision.ready.ready) return decision;
  const ready: ReadyState | undefined =
    served === false
      ? {
          ready: false,
          reason: Reason.ConsumableCapacityUnavailable,
          message:
            'spec.shared needs DRA consumable capacity (feature DRAConsumableCapacity, Kubernetes 1.36+); this apiserver drops capacity requests, so no device is published as shared',
        }
      : served === undefined
        ? {
            ready: false,
            reason: Reason.ConsumableCapacityUnknown,
            message: 'could not yet learn whether the apiserver serves DRA consumable capacity; retrying',
          }
        : undefined;
  return ready === undefined ? decision : { ...decision, ready };
}

export class ConsumableCapacityProbe {
  private last: { atMs: number; served: boolean } | undefined;
  private readonly client: Pick<KubeRestClient, 'create'>;
  private readonly namespace: string;
  private readonly recheckMs: number;
  private readonly nowMs: () => number;

  constructor(opts: {
    client: Pick<KubeRestClient, 'create'>;
    namespace: string;
    recheckMs?: number;
    nowMs?: () => number;
  }) {
    this.client = opts.client;
    this.namespace = opts.namespace;
    this.recheckMs = opts.recheckMs ?? 10 * 60_000;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  async served(): Promise<boolean | undefined> {
    const now = this.nowMs();
    if (this.last !== undefined && now - this.last.atMs < this.recheckMs) return this.last.served;
    try {
      const returned = await this.client.create<unknown>(
        `/apis/resource.k8s.io/v1/namespaces/${this.namespace}/resourceclaimtemplates?dryRun=All`,
        probeTemplate(this.namespace),
      );
      this.last = { atMs: now, served: capacityRequestKept(returned) };
      return this.last.served;
    } catch {
      // unknown: the class says so (ConsumableCapacityUnknown) and the next reconcile retries
      return undefined;
    }
  }
}
