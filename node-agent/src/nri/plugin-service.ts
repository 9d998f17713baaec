// The NRI Plugin service table served on mux connection 1: decodes each request, calls one small
// handler, encodes the answer. Thin (handlers do the work): logging, latency, error mapping only.
//
// Contract: containerd calls these with its request timeout (Configure carries it, 2 s default).
// Pod hooks are raced against a budget (hookBudgetMs, below the runtime timeout): when the kernel
// work overruns, the hook answers DEADLINE_EXCEEDED itself (the pod fails closed) instead of
// letting the runtime time out, which would disconnect the plugin for every pod; the work keeps
// the pod lock until done, so the runtime's StopPodSandbox for the failed sandbox undoes it.
// Methods not listed (StartContainer, ...) are answered UNIMPLEMENTED by the ttrpc server; the
// dedicated pod hooks and StateChange (older runtimes, and the fallback) share the same handlers.
import type { HandlerDeps } from './handler-deps.js';
import type {
  ConfigureRequest,
  ContainerRequest,
  PodRequest,
  PodSandbox,
  StateChangeEvent,
  SynchronizeRequest,
} from './nri-messages.js';
import { decodeNri, encodeNri } from './nri-messages.js';
import type { NriProto } from './nri-proto.js';
import { NRI_PLUGIN_SERVICE } from './nri-proto.js';
import { createContainer } from './create-container.js';
import { KND_EVENTS, NriEvent, eventMask } from './event-mask.js';
import { podRef } from './pod-netns.js';
import { podIdentity, runPodSandbox } from './run-pod-sandbox.js';
import { stopPodSandbox } from './stop-pod-sandbox.js';
import { SyncCollector, reconcile, scanSyncPart } from './synchronize.js';
import type { CallContext, ServiceTable, UnaryHandler } from './transport/ttrpc-server.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';

export interface PluginServiceOptions {
  proto: NriProto;
  deps: HandlerDeps;
  /** Budget for one pod hook in ms; default: 75% of the runtime's request timeout (1500 of 2000). */
  hookBudgetMs?: number;
  /** Called with the runtime's Configure request (name, version, timeouts). */
  onConfigure?: (req: ConfigureRequest) => void;
  /** Called when the background reconcile after Synchronize finished (tests, metrics). */
  onReconciled?: (result: { orphaned: number; unconfirmed: number; attached: number }) => void;
  /** Called after each pod hook with its outcome and latency. */
  onHook?: (event: { method: string; podUid: string; durationMs: number; ok: boolean }) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 2000;

function requirePod(pod: PodSandbox | null | undefined, method: string): PodSandbox {
  if (!pod) throw new TtrpcStatusError(Code.INVALID_ARGUMENT, `${method}: request has no pod`);
  return pod;
}

async function withBudget<T>(work: Promise<T>, budgetMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new TtrpcStatusError(
          Code.DEADLINE_EXCEEDED,
          `${what}: not done within ${budgetMs} ms; failing the sandbox`,
        ),
      );
    }, budgetMs);
  });
  try {
    return await Promise.race([work, overrun]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Before the Synchronize reconcile: pods that started while the plugin was not connected may share
 * a claim prepared for another pod; put them into its plan so the reconcile attaches them late.
 * A failure is logged (the reconcile still runs for everything else; nothing to fail closed here).
 */
async function addSharingPods(deps: HandlerDeps, pods: readonly PodSandbox[]): Promise<void> {
  if (!deps.sharedClaims || pods.length === 0) return;
  try {
    await deps.sharedClaims.addPods(pods.map(podIdentity));
  } catch (e) {
    deps.logger.error('reconcile: shared-claim lookup failed; pods sharing those claims stay without them', {
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

export function pluginService(opts: PluginServiceOptions): ServiceTable {
  const { proto, deps } = opts;
  let budgetMs = opts.hookBudgetMs ?? Math.floor(DEFAULT_REQUEST_TIMEOUT_MS * 0.75);
  const sync = new SyncCollector();
  const empty = (): Uint8Array => encodeNri(proto, 'Empty', {});

  /** The configured budget, tightened to 75% of the deadline the runtime sent with this call. */
  const budgetFor = (ctx: CallContext): number =>
    ctx.timeoutMs === undefined ? budgetMs : Math.min(budgetMs, Math.floor(ctx.timeoutMs * 0.75));

  const podHook = async (
    method: string,
    pod: PodSandbox,
    ctx: CallContext,
    work: () => Promise<unknown>,
  ): Promise<void> => {
    const start = deps.nowMs();
    let ok = false;
    try {
      const running = work();
      running.catch(() => undefined); // observed below or by withBudget; never unhandled
      await withBudget(running, budgetFor(ctx), `${method} ${podRef(pod)}`);
      ok = true;
    } finally {
      const durationMs = deps.nowMs() - start;
      opts.onHook?.({ method, podUid: pod.uid, durationMs, ok });
      deps.logger.info('nri hook', { method, pod: podRef(pod), durationMs, ok });
    }
  };

  const onRun = (pod: PodSandbox, ctx: CallContext): Promise<void> =>
    podHook('RunPodSandbox', pod, ctx, () => runPodSandbox(deps, pod));
  const onStop = (pod: PodSandbox, method: string, ctx: CallContext): Promise<void> =>
    podHook(method, pod, ctx, () => stopPodSandbox(deps, pod.uid));

  const methods = new Map<string, UnaryHandler>([
    [
      'Configure',
      (payload) => {
        const req = decodeNri<ConfigureRequest>(proto, 'ConfigureRequest', payload);
        if (opts.hookBudgetMs === undefined && req.request_timeout > 0) {
          budgetMs = Math.floor(req.request_timeout * 0.75);
        }
        deps.logger.info('nri configured', {
          runtime: `${req.runtime_name} ${req.runtime_version}`,
          nriVersion: req.NRI_version,
          requestTimeoutMs: req.request_timeout,
          hookBudgetMs: budgetMs,
        });
        opts.onConfigure?.(req);
        return Promise.resolve(encodeNri(proto, 'ConfigureResponse', { events: eventMask(KND_EVENTS) }));
      },
    ],
    [
      'Synchronize',
      (payload) => {
        const part = scanSyncPart(payload);
        sync.admit(part);
        const req = decodeNri<SynchronizeRequest>(proto, 'SynchronizeRequest', part.withoutContainers);
        const all = sync.add(req.pods, req.more);
        if (all) {
          void addSharingPods(deps, all)
            .then(() => reconcile(deps, all))
            .then(
              (r) =>
                opts.onReconciled?.({
                  orphaned: r.orphaned.length,
                  unconfirmed: r.unconfirmed.length,
                  attached: r.attach.length,
                }),
              (e: unknown) => {
                deps.logger.error('reconcile failed', { error: String(e) });
              },
            );
        }
        return Promise.resolve(encodeNri(proto, 'SynchronizeResponse', { update: [], more: req.more }));
      },
    ],
    ['Shutdown', () => Promise.resolve(empty())],
    [
      'RunPodSandbox',
      async (payload, ctx) => {
        const req = decodeNri<PodRequest>(proto, 'RunPodSandboxRequest', payload);
        await onRun(requirePod(req.pod, 'RunPodSandbox'), ctx);
        return encodeNri(proto, 'RunPodSandboxResponse', {});
      },
    ],
    [
      'StopPodSandbox',
      async (payload, ctx) => {
        const req = decodeNri<PodRequest>(proto, 'StopPodSandboxRequest', payload);
        await onStop(requirePod(req.pod, 'StopPodSandbox'), 'StopPodSandbox', ctx);
        return encodeNri(proto, 'StopPodSandboxResponse', {});
      },
    ],
    [
      'RemovePodSandbox',
      async (payload, ctx) => {
        const req = decodeNri<PodRequest>(proto, 'RemovePodSandboxRequest', payload);
        await onStop(requirePod(req.pod, 'RemovePodSandbox'), 'RemovePodSandbox', ctx);
        return encodeNri(proto, 'RemovePodSandboxResponse', {});
      },
    ],
    [
      'CreateContainer',
      async (payload) => {
        const req = decodeNri<ContainerRequest>(proto, 'CreateContainerRequest', payload);
        const pod = requirePod(req.pod, 'CreateContainer');
        const adjust = await createContainer(deps, pod.uid);
        return encodeNri(proto, 'CreateContainerResponse', adjust ? { adjust } : {});
      },
    ],
    [
      'StateChange',
      async (payload, ctx) => {
        const ev = decodeNri<StateChangeEvent>(proto, 'StateChangeEvent', payload);
        switch (ev.event) {
          case NriEvent.RUN_POD_SANDBOX:
            await onRun(requirePod(ev.pod, 'StateChange(RUN_POD_SANDBOX)'), ctx);
            break;
          case NriEvent.STOP_POD_SANDBOX:
            await onStop(requirePod(ev.pod, 'StateChange(STOP_POD_SANDBOX)'), 'StopPodSandbox', ctx);
            break;
          case NriEvent.REMOVE_POD_SANDBOX:
            await onStop(requirePod(ev.pod, 'StateChange(REMOVE_POD_SANDBOX)'), 'RemovePodSandbox', ctx);
            break;
          default:
            // Events outside our mask: nothing to do (the runtime should not send them).
            break;
        }
        return empty();
      },
    ],
  ]);
  return new Map([[NRI_PLUGIN_SERVICE, methods]]);
}
