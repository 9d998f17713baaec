// Performs a Decision against the apiserver: the write, then the status (only when it changed), then an
// Event for what was done. Idempotent: re-running after a failure converges. Errors the user can
// fix (422 Invalid: e.g. CEL the apiserver's type checker rejects) become Ready=False with the
// apiserver's message; anything else throws so the work queue retries with backoff.
// A status field the installed CRD does not know (CRDs older than the operator: Helm never upgrades
// them) is pruned by the apiserver, so the live status never equals the desired one; the executor
// remembers what its last status write returned and does not write the same status again while the
// live status is still that (no write loop), but does repair any other change.
import { FIELD_MANAGER_OPERATOR } from '../../../lib/api/constants.js';
import { isInvalid, isNotFound } from '../../../lib/kube/errors.js';
import { postEvent } from '../../../lib/kube/events.js';
import { resourcePath, type KubeRestClient } from '../../../lib/kube/rest-client.js';
import type { Condition } from '../../../lib/api/network-device-class.js';
import type { DeviceClass, ResourceClaimTemplate } from '../render/dra-objects.js';
import { jsonEqual, readyCondition, Reason, statusChanged, type ReadyState } from '../status/conditions.js';
import { deviceTaintsCondition } from '../match/taint-status.js';
import type { Decision } from './decision.js';

export interface SourceRef {
  apiVersion: string;
  kind: string;
  plural: string;
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}

export interface ExecuteResult {
  wrote: boolean;
  /** Objects the apiserver returned from our writes (generated object, then the CR), for the cache. */
  written: { kind?: string; metadata: { name: string; namespace?: string; resourceVersion?: string } }[];
  statusWritten: boolean;
  ready: ReadyState;
}

function objectPath(o: DeviceClass | ResourceClaimTemplate): { collection: string; item: string } {
  const ns = o.kind === 'ResourceClaimTemplate' ? o.metadata.namespace : undefined;
  const plural = o.kind === 'DeviceClass' ? 'deviceclasses' : 'resourceclaimtemplates';
  return {
    collection: resourcePath(o.apiVersion, plural, ns),
    item: resourcePath(o.apiVersion, plural, ns, o.metadata.name),
  };
}

export class Executor {
  private readonly client: KubeRestClient;
  private readonly now: () => Date;
  /** Per status path: the status last written and what the apiserver returned for it. */
  private readonly lastStatusWrite = new Map<string, { desired: unknown; returned: unknown }>();
  constructor(client: KubeRestClient, now: () => Date = () => new Date()) {
    this.client = client;
    this.now = now;
  }

  async execute<T extends DeviceClass | ResourceClaimTemplate>(
    src: SourceRef,
    decision: Decision<T>,
    nameField: 'deviceClassName' | 'resourceClaimTemplateName',
  ): Promise<ExecuteResult> {
    let ready = decision.ready;
    let wrote = false;
    const written: ExecuteResult['written'] = [];
    const a = decision.action;
    if (a.kind !== 'none') {
      const { collection, item } = objectPath(a.object);
      const fm = `fieldManager=${encodeURIComponent(FIELD_MANAGER_OPERATOR)}`;
      try {
        if (a.kind === 'replace') {
          await this.client
            .delete(item, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: a.liveUid } })
            .catch((e: unknown) => {
              if (!isNotFound(e)) throw e;
            });
        }
        written.push(
          a.kind === 'apply'
            ? await this.client.apply<ExecuteResult['written'][number]>(item, a.object)
            : await this.client.create<ExecuteResult['written'][number]>(`${collection}?${fm}`, a.object),
        );
        wrote = true;
        const verb = a.kind === 'create' ? 'Created' : a.kind === 'replace' ? 'Replaced' : 'Updated';
        await this.event(src, 'Normal', verb, `${verb} ${a.object.kind} ${a.object.metadata.name}`);
      } catch (err) {
        if (isInvalid(err)) {
          ready = {
            ready: false,
            reason: Reason.InvalidSelector,
            message: `the apiserver rejected the generated ${a.object.kind}: ${(err as Error).message}`,
          };
        } else {
          throw err;
        }
      }
    }
    const nowIso = this.now().toISOString();
    const conditions = [readyCondition(ready, src.generation, src.status?.conditions, nowIso)];
    if (decision.taints)
      conditions.push(deviceTaintsCondition(decision.taints, src.generation, src.status?.conditions, nowIso));
    const status: Record<string, unknown> = {
      ...(src.generation !== undefined ? { observedGeneration: src.generation } : {}),
      conditions,
      [nameField]: decision.generatedName,
      matchedDevices: decision.counts.devices,
      matchedNodes: decision.counts.nodes,
      ...(decision.taints ? { taintedDevices: decision.taints.taintedDevices } : {}),
    };
    const statusPath = `${resourcePath(src.apiVersion, src.plural, src.namespace, src.name)}/status`;
    const last = this.lastStatusWrite.get(statusPath);
    const sameAsLastWrite =
      last !== undefined && jsonEqual(last.desired, status) && jsonEqual(last.returned, src.status ?? {});
    if (!statusChanged(src.status, status) || sameAsLastWrite)
      return { wrote, written, statusWritten: false, ready };
    const oldReady = src.status?.conditions?.find((c) => c.type === 'Ready');
    const updated = await this.client.apply<ExecuteResult['written'][number] & { status?: unknown }>(
      statusPath,
      {
        apiVersion: src.apiVersion,
        kind: src.kind,
        metadata: { name: src.name, ...(src.namespace ? { namespace: src.namespace } : {}) },
        status,
      },
    );
    written.push(updated);
    this.lastStatusWrite.set(statusPath, { desired: status, returned: updated.status ?? {} });
    if (!ready.ready && (oldReady?.reason !== ready.reason || oldReady.message !== ready.message)) {
      await this.event(src, 'Warning', ready.reason, ready.message);
    }
    return { wrote, written, statusWritten: true, ready };
  }

  /** core/v1 Event on the source CR (lib/kube/events.ts). */
  private async event(
    src: SourceRef,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    await postEvent(
      this.client,
      {
        regarding: src,
        type,
        reason,
        message,
        reportingController: FIELD_MANAGER_OPERATOR,
        reportingInstance: FIELD_MANAGER_OPERATOR,
      },
      this.now(),
    );
  }
}
