// The NRI Plugin service for a typed plugin (nri-hooks.ts), as containerd's pkg/stub does for Go
// plugins: decode each call into the generated request type, call the plugin's method, encode its
// answer. Thin: no state, no retries, no logging (the plugin logs).
//
// Contract: served on mux connection 1 (nri-session.ts); the runtime calls it within its request
// timeout (Configure carries it; 2 s default). Configure is answered with the subscription mask
// derived from the event methods the plugin implements, after the plugin's own configure. Each
// Synchronize part is handed over undecoded (the plugin bounds it). Implemented event methods are
// served under their ttrpc name and, for the events runtimes before NRI v0.12 send as StateChange
// (and v0.12 sends after an UNIMPLEMENTED answer), through StateChange too; other event methods
// are absent, so the ttrpc server answers them UNIMPLEMENTED (code 12). An event without a pod
// is refused INVALID_ARGUMENT. Whatever the plugin throws becomes the call's status
// (transport/ttrpc-status.ts errorToStatus).
import { Event, Plugin } from '../generated/nri-api.js';
import type { PodSandbox } from '../nri-messages.js';
import { decodeNri, encodeNri, nriType } from '../nri-messages.js';
import type { NriProto } from '../nri-proto.js';
import type { CallContext, ServiceTable, UnaryHandler } from '../transport/ttrpc-server.js';
import { Code, TtrpcStatusError } from '../transport/ttrpc-status.js';
import type { EventName } from './event-mask.js';
import type { EventMethod, HOOK_EVENTS, NriHooks, ResponseOf } from './nri-hooks.js';
import { hookName, implementedEventMethods, subscriptionMask } from './nri-hooks.js';

/** Event methods with an empty response: the only ones a runtime may deliver as StateChange. */
type NotificationMethod = {
  [M in EventMethod]: keyof ResponseOf<M> extends never ? M : never;
}[EventMethod];

/** The notification method whose event is E (compile-time: the table below cannot cross them). */
type MethodOfEvent<E extends EventName> = {
  [M in NotificationMethod]: (typeof HOOK_EVENTS)[M] extends E ? M : never;
}[NotificationMethod];

/** Events delivered through StateChange by runtimes before NRI v0.12 (pkg/stub StateChange). */
export const STATE_CHANGE_METHODS = {
  RUN_POD_SANDBOX: 'RunPodSandbox',
  POST_UPDATE_POD_SANDBOX: 'PostUpdatePodSandbox',
  STOP_POD_SANDBOX: 'StopPodSandbox',
  REMOVE_POD_SANDBOX: 'RemovePodSandbox',
  POST_CREATE_CONTAINER: 'PostCreateContainer',
  START_CONTAINER: 'StartContainer',
  POST_START_CONTAINER: 'PostStartContainer',
  POST_UPDATE_CONTAINER: 'PostUpdateContainer',
  REMOVE_CONTAINER: 'RemoveContainer',
} as const satisfies { [E in EventName]?: MethodOfEvent<E> };

const EVENT_NAMES = new Map<number, string>(Object.entries(Event).map(([name, value]) => [value, name]));

function stateChangeMethod(event: number): { name: string; method: EventMethod | undefined } {
  const name = EVENT_NAMES.get(event) ?? `event ${event}`;
  const method = (STATE_CHANGE_METHODS as Partial<Record<string, EventMethod>>)[name];
  return { name, method };
}

function requirePod(pod: PodSandbox | null | undefined, label: string): PodSandbox {
  if (!pod) throw new TtrpcStatusError(Code.INVALID_ARGUMENT, `${label}: request has no pod`);
  return pod;
}

/** An event method seen without its per-method types (the stub dispatches by name). */
type AnyHook = (req: { pod: PodSandbox }, ctx: CallContext) => Promise<object | undefined>;

/** The ttrpc service table serving `hooks`; throws at once for a plugin without event methods. */
export function stubService(proto: NriProto, hooks: NriHooks): ServiceTable {
  const mask = subscriptionMask(hooks);
  const implemented = new Set(implementedEventMethods(hooks));
  // The one untyped step: HookMethod<M> is checked where the plugin defines its methods; here the
  // request comes from the method's own generated request type, the answer goes out as its response.
  const hookOf = (method: EventMethod): AnyHook | undefined =>
    hooks[hookName(method)] as unknown as AnyHook | undefined;

  const serveEvent = async (
    method: EventMethod,
    req: { pod?: PodSandbox | null },
    label: string,
    ctx: CallContext,
  ): Promise<object | undefined> => {
    const hook = hookOf(method);
    if (!hook) throw new TtrpcStatusError(Code.UNIMPLEMENTED, `method ${method}`);
    return hook({ ...req, pod: requirePod(req.pod, label) }, ctx);
  };

  const methods = new Map<string, UnaryHandler>();
  methods.set('Configure', async (payload, ctx) => {
    const req = decodeNri(proto, 'ConfigureRequest', payload);
    await hooks.configure?.(req, ctx);
    return encodeNri(proto, 'ConfigureResponse', { events: mask });
  });
  methods.set('Synchronize', async (payload, ctx) => {
    const decode = (bytes: Uint8Array) => decodeNri(proto, 'SynchronizeRequest', bytes);
    const res = await hooks.synchronize({ bytes: payload, decode }, ctx);
    return encodeNri(proto, 'SynchronizeResponse', res);
  });
  methods.set('Shutdown', async (_payload, ctx) => {
    await hooks.shutdown?.(ctx);
    return encodeNri(proto, 'Empty', {});
  });
  for (const method of implemented) {
    const { request, response } = Plugin.methods[method];
    methods.set(method, async (payload, ctx) => {
      const out = await serveEvent(method, decodeNri(proto, request, payload), method, ctx);
      return proto.encode(nriType(response), out ?? {});
    });
  }
  methods.set('StateChange', async (payload, ctx) => {
    const ev = decodeNri(proto, 'StateChangeEvent', payload);
    const { name, method } = stateChangeMethod(ev.event);
    // Events the plugin did not subscribe to: nothing to do (the runtime should not send them).
    if (method !== undefined && implemented.has(method)) {
      const req = { pod: ev.pod ?? null, container: ev.container ?? null };
      await serveEvent(method, req, `StateChange(${name})`, ctx);
    }
    return encodeNri(proto, 'Empty', {});
  });
  return new Map([[Plugin.name, methods]]);
}
