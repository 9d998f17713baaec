// ClaimStatusApi on @kubernetes/client-node 1.4: server-side apply on resourceclaims/status and
// core/v1 Events.
//
// Contract: called only by the status writer's queue (never from an NRI hook). Each call is one
// HTTP request with the client's default timeout; the queue retries. Needs RBAC: patch on
// resource.k8s.io resourceclaims/status (and, from 1.36, associated-node:patch on
// resourceclaims/driver for knd.dev), create on events.
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api, PatchStrategy, ResourceV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import type { ClaimStatusApply } from './device-status.js';
import { metaTime } from './device-status.js';
import type { ClaimStatusApi, PodEvent } from './status-api.js';

export interface KubeStatusApiOptions {
  kubeConfig: KubeConfig;
  /** Node name, reported as the event source host / reporting instance. */
  nodeName: string;
  fieldManager?: string;
  now?: () => Date;
}

export function kubeStatusApi(opts: KubeStatusApiOptions): ClaimStatusApi {
  const resource = opts.kubeConfig.makeApiClient(ResourceV1Api);
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const fieldManager = opts.fieldManager ?? FIELD_MANAGER_AGENT;
  const now = opts.now ?? (() => new Date());
  return {
    applyClaimStatus: async (body: ClaimStatusApply) => {
      await resource.patchNamespacedResourceClaimStatus(
        { name: body.metadata.name, namespace: body.metadata.namespace, body, fieldManager, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    },
    createPodEvent: async (event: PodEvent) => {
      const t = metaTime(now());
      await core.createNamespacedEvent({
        namespace: event.pod.namespace,
        body: {
          metadata: { generateName: `${event.pod.name}.`, namespace: event.pod.namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: event.pod.name,
            namespace: event.pod.namespace,
            uid: event.pod.uid,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: fieldManager, host: opts.nodeName },
          reportingComponent: fieldManager,
          reportingInstance: opts.nodeName,
          firstTimestamp: new Date(t),
          lastTimestamp: new Date(t),
          count: 1,
        },
      });
    },
  };
}
