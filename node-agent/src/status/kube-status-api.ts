// ClaimStatusApi on lib/kube's REST client (plain wire JSON, so fields this client-node version
// does not model survive the read-modify-write): read-merge-patch of resourceclaims/status and
// core/v1 Events about the pod (lib/kube/events.ts).
//
// Contract: called only by the status writer's queue (never from an NRI hook). writeClaimStatus is
// a GET of the claim and a JSON merge patch of status.devices carrying the resourceVersion read
// (optimistic concurrency: a concurrent writer makes it fail with 409, which the queue retries);
// entries of other drivers are kept (mergeDeviceStatuses). Why not server-side apply: SSA
// round-trips the whole object through structured-merge-diff, which re-serialises the opaque
// config parameters (a RawExtension) of status.allocation with sorted keys; unless the user wrote
// them sorted, the apiserver then sees a changed allocation and rejects the write with
// "status.allocation: field is immutable" (found on kube 1.35 in the workflow e2e). A merge patch
// leaves the stored bytes alone. Needs RBAC: get and patch on resource.k8s.io resourceclaims and
// resourceclaims/status (and, from 1.36, associated-node:patch on resourceclaims/driver for
// knd.dev), create on events.
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import { postEvent } from '../../../lib/kube/events.js';
import { KubeRestClient, resourcePath } from '../../../lib/kube/rest-client.js';
import type { AllocatedDeviceStatus, ClaimStatusPatch } from './device-status.js';
import { mergeDeviceStatuses } from './device-status.js';
import type { ClaimStatusApi, PodEvent } from './status-api.js';

export interface KubeStatusApiOptions {
  kubeConfig: KubeEndpoint;
  /** Node name, reported as the event source host / reporting instance. */
  nodeName: string;
  fieldManager?: string;
  now?: () => Date;
}

interface LiveClaim {
  metadata?: { resourceVersion?: string };
  status?: { devices?: AllocatedDeviceStatus[] };
}

export function kubeStatusApi(opts: KubeStatusApiOptions): ClaimStatusApi {
  const fieldManager = opts.fieldManager ?? FIELD_MANAGER_AGENT;
  const client = new KubeRestClient(opts.kubeConfig, { fieldManager });
  const now = opts.now ?? (() => new Date());
  return {
    writeClaimStatus: async (body: ClaimStatusPatch) => {
      const { name, namespace } = body.metadata;
      const path = `${resourcePath('resource.k8s.io/v1', 'resourceclaims', namespace, name)}/status`;
      const live = await client.get<LiveClaim>(path);
      const resourceVersion = live.metadata?.resourceVersion;
      if (resourceVersion === undefined) throw new Error(`claim ${namespace}/${name} has no resourceVersion`);
      const devices = mergeDeviceStatuses(live.status?.devices ?? [], body.status.devices);
      await client.mergePatch(path, { metadata: { resourceVersion }, status: { devices } });
    },
    createPodEvent: (event: PodEvent) =>
      postEvent(
        client,
        {
          regarding: { apiVersion: 'v1', kind: 'Pod', ...event.pod },
          type: event.type,
          reason: event.reason,
          message: event.message,
          reportingController: fieldManager,
          reportingInstance: opts.nodeName,
          host: opts.nodeName,
        },
        now(),
      ),
  };
}
