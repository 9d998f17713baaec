// The typed NRI plugin interface: one optional method per NRI event, as containerd's pkg/stub
// offers Go plugins (RunPodSandbox, StopPodSandbox, CreateContainer, ...), plus the lifecycle calls
// (Configure, Synchronize, Shutdown). Requests and responses are the types generated from
// proto/nri/api.proto. The event subscription mask is derived from which event methods a plugin
// implements (HOOK_EVENTS), so the mask and the methods served cannot disagree.
//
// Adding a hook: implement its method in the plugin (knd-hooks.ts); the mask follows. A method the
// .proto's Plugin service gains without an event in HOOK_EVENTS, or an event of its Event enum
// without a method, does not compile.
import { Event, type Plugin } from '../generated/nri-api.js';
import type {
  ConfigureRequest,
  Encodable,
  Messages,
  PodSandbox,
  SynchronizeRequest,
  SynchronizeResponse,
} from '../nri-messages.js';
import type { CallContext } from '../transport/ttrpc-server.js';
import { type EventName, eventMask } from './event-mask.js';

type Methods = (typeof Plugin)['methods'];
export type PluginMethod = keyof Methods;
export type RequestOf<M extends PluginMethod> = Messages[Methods[M]['request']];
export type ResponseOf<M extends PluginMethod> = Messages[Methods[M]['response']];

/** Runtime calls that are not events: no mask bit, served for every plugin. */
export type LifecycleMethod = 'Configure' | 'Synchronize' | 'Shutdown' | 'StateChange';
/** Plugin methods the runtime calls for an event the plugin subscribed to. */
export type EventMethod = Exclude<PluginMethod, LifecycleMethod>;

/** The event each event method subscribes to: every method exactly once, no other key. */
export const HOOK_EVENTS = {
  RunPodSandbox: 'RUN_POD_SANDBOX',
  StopPodSandbox: 'STOP_POD_SANDBOX',
  RemovePodSandbox: 'REMOVE_POD_SANDBOX',
  UpdatePodSandbox: 'UPDATE_POD_SANDBOX',
  PostUpdatePodSandbox: 'POST_UPDATE_POD_SANDBOX',
  CreateContainer: 'CREATE_CONTAINER',
  PostCreateContainer: 'POST_CREATE_CONTAINER',
  StartContainer: 'START_CONTAINER',
  PostStartContainer: 'POST_START_CONTAINER',
  UpdateContainer: 'UPDATE_CONTAINER',
  PostUpdateContainer: 'POST_UPDATE_CONTAINER',
  StopContainer: 'STOP_CONTAINER',
  RemoveContainer: 'REMOVE_CONTAINER',
  ValidateContainerAdjustment: 'VALIDATE_CONTAINER_ADJUSTMENT',
} as const satisfies Record<EventMethod, EventName>;

type AssertNever<T extends never> = T;
/** Compile-time check: every event has a method (an event without one is named in the error). */
export type EventsWithoutMethod = AssertNever<Exclude<EventName, (typeof HOOK_EVENTS)[EventMethod]>>;

/** What an event method receives: the decoded request, its pod checked present by the stub. */
export type HookRequest<M extends EventMethod> = Omit<RequestOf<M>, 'pod'> & { pod: PodSandbox };

/** Methods whose response is empty return nothing; the others return (part of) their response. */
export type HookMethod<M extends EventMethod> = keyof ResponseOf<M> extends never
  ? (req: HookRequest<M>, ctx: CallContext) => Promise<void>
  : (req: HookRequest<M>, ctx: CallContext) => Promise<Encodable<ResponseOf<M>>>;

/** One optional method per event, named like the ttrpc method in lower camel case. */
export type EventHooks = { [M in EventMethod as Uncapitalize<M>]?: HookMethod<M> };

/**
 * A request handed to the plugin undecoded, so that the plugin bounds what it decodes first (one
 * Synchronize may carry millions of entries; knd counts them on the wire: synchronize.ts).
 */
export interface EncodedRequest<T> {
  bytes: Uint8Array;
  /** Decode `bytes` or a part of them (e.g. with entries dropped) as the request type. */
  decode: (bytes: Uint8Array) => T;
}

export interface LifecycleHooks {
  /** The runtime's name, version and timeouts; the stub answers with the derived mask. */
  configure?: (req: ConfigureRequest, ctx: CallContext) => Promise<void>;
  /**
   * One part of a Synchronize (`more` set on all but the last). Required: only the plugin knows
   * how much of it may be decoded.
   */
  synchronize: (
    req: EncodedRequest<SynchronizeRequest>,
    ctx: CallContext,
  ) => Promise<Encodable<SynchronizeResponse>>;
  /** The runtime is shutting down. */
  shutdown?: (ctx: CallContext) => Promise<void>;
}

/** What a plugin implements; the stub (stub-service.ts) serves it. */
export type NriHooks = LifecycleHooks & EventHooks;

export const EVENT_METHODS = Object.keys(HOOK_EVENTS) as EventMethod[];

/** `RunPodSandbox` -> `runPodSandbox`: the plugin's method for a ttrpc method. */
export function hookName<M extends EventMethod>(method: M): Uncapitalize<M> {
  return (method.charAt(0).toLowerCase() + method.slice(1)) as Uncapitalize<M>;
}

/** The event methods `hooks` implements, in HOOK_EVENTS order. */
export function implementedEventMethods(hooks: EventHooks): EventMethod[] {
  return EVENT_METHODS.filter((m) => hooks[hookName(m)] !== undefined);
}

/**
 * The subscription mask for `hooks`: the bit of each event whose method it implements. Throws for
 * a plugin without any: a zero mask would subscribe it to every event.
 */
export function subscriptionMask(hooks: EventHooks): number {
  const methods = implementedEventMethods(hooks);
  if (methods.length === 0) {
    throw new Error('NRI plugin implements no event method; a zero mask would subscribe it to every event');
  }
  return eventMask(methods.map((m) => Event[HOOK_EVENTS[m]]));
}
