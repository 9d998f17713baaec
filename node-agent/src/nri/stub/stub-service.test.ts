// The stub's dispatch, called as the ttrpc server calls it: typed decode and encode, the mask in
// Configure, pods required, the StateChange fallback and UNIMPLEMENTED for methods not implemented.
import { describe, expect, it } from '@jest/globals';
import { samplePod } from '../../../../test/support/sample-plan.js';
import { Event, Plugin } from '../generated/nri-api.js';
import { decodeNri, encodeNri } from '../nri-messages.js';
import type { Encodable, Messages, NriMessageName } from '../nri-messages.js';
import { loadNriProto } from '../nri-proto.js';
import type { CallContext } from '../transport/ttrpc-server.js';
import { Code, TtrpcStatusError } from '../transport/ttrpc-status.js';
import type { NriHooks } from './nri-hooks.js';
import { stubService } from './stub-service.js';

const proto = loadNriProto();
const ctx = (method: string): CallContext => ({
  service: Plugin.name,
  method,
  timeoutMs: 2000,
  metadata: [],
});

function recordingHooks() {
  const calls: string[] = [];
  const hooks: NriHooks = {
    synchronize: (part) => {
      const req = part.decode(part.bytes);
      calls.push(`synchronize ${req.pods.length} more=${String(req.more)}`);
      return Promise.resolve({ more: req.more });
    },
    runPodSandbox: ({ pod }) => {
      calls.push(`run ${pod.uid}`);
      return Promise.resolve();
    },
    startContainer: ({ pod, container }) => {
      calls.push(`start ${pod.uid}/${container?.id ?? '-'}`);
      return Promise.resolve();
    },
    createContainer: ({ pod }) => {
      calls.push(`create ${pod.uid}`);
      return Promise.resolve({
        adjust: { linux: { devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 3 }] } },
      });
    },
  };
  return { hooks, calls };
}

async function call<Q extends NriMessageName, R extends NriMessageName>(
  hooks: NriHooks,
  method: string,
  requestType: Q,
  request: Encodable<Messages[Q]>,
  responseType: R,
): Promise<Messages[R]> {
  const handler = stubService(proto, hooks).get(Plugin.name)?.get(method);
  if (!handler) throw new TtrpcStatusError(Code.UNIMPLEMENTED, `method ${method}`);
  return decodeNri(proto, responseType, await handler(encodeNri(proto, requestType, request), ctx(method)));
}

const errorOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: unknown) => e,
  );

describe('stubService', () => {
  it('answers Configure with the mask of the implemented event methods', async () => {
    const { hooks } = recordingHooks();
    const res = await call(
      hooks,
      'Configure',
      'ConfigureRequest',
      { request_timeout: 2000 },
      'ConfigureResponse',
    );
    // RUN_POD_SANDBOX 1, CREATE_CONTAINER 4, START_CONTAINER 6
    expect(res.events).toBe(0b101001);
  });

  it('hands each Synchronize part to the plugin undecoded and encodes its answer', async () => {
    const { hooks, calls } = recordingHooks();
    const res = await call(
      hooks,
      'Synchronize',
      'SynchronizeRequest',
      { pods: [samplePod('a')], more: true },
      'SynchronizeResponse',
    );
    expect(res).toEqual({ update: [], more: true });
    expect(calls).toEqual(['synchronize 1 more=true']);
  });

  it('serves implemented event methods with typed requests and responses', async () => {
    const { hooks, calls } = recordingHooks();
    const pod = samplePod('p1');
    await call(hooks, 'RunPodSandbox', 'RunPodSandboxRequest', { pod }, 'RunPodSandboxResponse');
    const created = await call(
      hooks,
      'CreateContainer',
      'CreateContainerRequest',
      { pod, container: { id: 'c1' } },
      'CreateContainerResponse',
    );
    expect(created.adjust?.linux?.devices).toEqual([
      { path: '/dev/x', type: 'c', major: 1, minor: 3, file_mode: null, uid: null, gid: null },
    ]);
    expect(calls).toEqual(['run p1', 'create p1']);
  });

  it('delivers StateChange events to the same methods, and ignores events not subscribed', async () => {
    const { hooks, calls } = recordingHooks();
    const pod = samplePod('p1');
    const container = { id: 'c1' };
    await call(hooks, 'StateChange', 'StateChangeEvent', { event: Event.RUN_POD_SANDBOX, pod }, 'Empty');
    await call(
      hooks,
      'StateChange',
      'StateChangeEvent',
      { event: Event.START_CONTAINER, pod, container },
      'Empty',
    );
    await call(hooks, 'StateChange', 'StateChangeEvent', { event: Event.STOP_POD_SANDBOX, pod }, 'Empty');
    await call(hooks, 'StateChange', 'StateChangeEvent', { event: 99, pod }, 'Empty');
    // CREATE_CONTAINER has a response: never a StateChange, even for a plugin that implements it
    await call(hooks, 'StateChange', 'StateChangeEvent', { event: Event.CREATE_CONTAINER, pod }, 'Empty');
    expect(calls).toEqual(['run p1', 'start p1/c1']);
  });

  it('refuses an event without a pod, naming the method or the StateChange event', async () => {
    const { hooks, calls } = recordingHooks();
    expect(await errorOf(call(hooks, 'RunPodSandbox', 'RunPodSandboxRequest', {}, 'Empty'))).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'RunPodSandbox: request has no pod',
    });
    expect(
      await errorOf(
        call(hooks, 'StateChange', 'StateChangeEvent', { event: Event.RUN_POD_SANDBOX }, 'Empty'),
      ),
    ).toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'StateChange(RUN_POD_SANDBOX): request has no pod',
    });
    expect(calls).toEqual([]);
  });

  it('serves no event method the plugin does not implement (the ttrpc server answers UNIMPLEMENTED)', () => {
    const { hooks } = recordingHooks();
    const served = [...(stubService(proto, hooks).get(Plugin.name)?.keys() ?? [])].sort();
    expect(served).toEqual(
      [
        'Configure',
        'CreateContainer',
        'RunPodSandbox',
        'Shutdown',
        'StartContainer',
        'StateChange',
        'Synchronize',
      ].sort(),
    );
  });

  it('passes what a method throws to the runtime as the call status', async () => {
    const hooks: NriHooks = {
      synchronize: () => Promise.resolve({}),
      stopPodSandbox: () => Promise.reject(new TtrpcStatusError(Code.UNKNOWN, 'detach: busy')),
    };
    expect(
      await errorOf(call(hooks, 'StopPodSandbox', 'StopPodSandboxRequest', { pod: samplePod('p') }, 'Empty')),
    ).toMatchObject({ code: Code.UNKNOWN, message: 'detach: busy' });
  });

  it('refuses at construction a plugin without event methods', () => {
    expect(() => stubService(proto, { synchronize: () => Promise.resolve({}) })).toThrow(/no event method/);
  });
});
