// core/v1 Events about an object: the one way knd's operator and node agent report to
// `kubectl describe`.
//
// Contract: buildEvent() is pure. postEvent() is one POST to the regarding object's namespace
// (cluster-scoped objects: "default"); no retry here (the operator's work queue and the agent's
// status queue retry). Every call creates a new Event (metadata.generateName, count 1): no
// client-side aggregation, so a retried POST may leave a second Event, never a lost one.
// Messages are cut to 1024 characters. Needs RBAC: create on core events.
import { metaTime } from './meta-time.js';
import { resourcePath, type KubeRestClient } from './rest-client.js';

export const MAX_EVENT_MESSAGE_CHARS = 1024;

/** The object the Event is about (core/v1 involvedObject). */
export interface EventRegarding {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventInput {
  regarding: EventRegarding;
  type: 'Normal' | 'Warning';
  /** UpperCamelCase reason, e.g. Created, AttachFailed. */
  reason: string;
  message: string;
  /** Component that reports (source.component, reportingComponent), e.g. knd-operator. */
  reportingController: string;
  /** Instance of that component (reportingInstance), e.g. the node name. */
  reportingInstance: string;
  /** Node the reporter runs on (source.host), for node-local reporters. */
  host?: string;
}

export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { generateName: string; namespace: string };
  involvedObject: EventRegarding;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: 1;
}

/** The Event object for `input` at time `now`. Pure. */
export function buildEvent(input: EventInput, now: Date): CoreEvent {
  const r = input.regarding;
  const namespace = r.namespace ?? 'default';
  const t = metaTime(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${r.name}.`, namespace },
    involvedObject: {
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.name,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      ...(r.uid ? { uid: r.uid } : {}),
    },
    type: input.type,
    reason: input.reason,
    message: input.message.slice(0, MAX_EVENT_MESSAGE_CHARS),
    source: { component: input.reportingController, ...(input.host ? { host: input.host } : {}) },
    reportingComponent: input.reportingController,
    reportingInstance: input.reportingInstance,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}

/** POST the Event for `input`; rejects with the API error (lib/kube/errors.ts reads it). */
export async function postEvent(
  client: Pick<KubeRestClient, 'create'>,
  input: EventInput,
  now: Date,
): Promise<void> {
  const event = buildEvent(input, now);
  await client.create(resourcePath('v1', 'events', event.metadata.namespace), event);
}
