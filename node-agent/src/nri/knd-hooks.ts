// knd's NRI plugin: the typed hooks (stub/nri-hooks.ts) the stub serves, each a thin wrapper that
// logs, measures and maps errors, then calls one small handler (run-pod-sandbox.ts, ...). knd
// implements RunPodSandbox, StopPodSandbox, RemovePodSandbox and CreateContainer, so the stub
// subscribes it to exactly those events (mask 0x000F).
//
// Contract: containerd calls these with its request timeout (Configure carries it, 2 s default).
// Pod hooks are raced against a budget (hookBudgetMs, below the runtime timeout): when the kernel
// work overruns, the hook answers DEADLINE_EXCEEDED itself (the pod fails closed) instead of
// letting the runtime time out, which would disconnect the plugin for every pod; the work keeps
// the pod lock until done, so the runtime's StopPodSandbox for the failed sandbox undoes it. One
// instance per connection: split-Synchronize state must not outlive it.
import type { HandlerDeps } from './handler-deps.js';
import type { ConfigureRequest, PodSandbox } from './nri-messages.js';
import { createContainer } from './create-container.js';
import { podRef } from './pod-netns.js';
import { podIdentity, runPodSandbox } from './run-pod-sandbox.js';
import { stopPodSandbox } from './stop-pod-sandbox.js';
import type { NriHooks } from './stub/nri-hooks.js';
import { SyncCollector, reconcile, scanSyncPart } from './synchronize.js';
import type { CallContext } from './transport/ttrpc-server.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';

export interface KndHooksOptions {
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

export function kndHooks(opts: KndHooksOptions): NriHooks {
  const { deps } = opts;
  let budgetMs = opts.hookBudgetMs ?? Math.floor(DEFAULT_REQUEST_TIMEOUT_MS * 0.75);
  const sync = new SyncCollector();

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

  const onStop = (pod: PodSandbox, method: string, ctx: CallContext): Promise<void> =>
    podHook(method, pod, ctx, () => stopPodSandbox(deps, pod.uid));

  return {
    configure: (req) => {
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
      return Promise.resolve();
    },
    // Counted on the wire and admitted before anything is decoded; containers are never decoded.
    synchronize: (part) => {
      const scanned = scanSyncPart(part.bytes);
      sync.admit(scanned);
      const req = part.decode(scanned.withoutContainers);
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
      return Promise.resolve({ update: [], more: req.more });
    },
    runPodSandbox: ({ pod }, ctx) => podHook('RunPodSandbox', pod, ctx, () => runPodSandbox(deps, pod)),
    stopPodSandbox: ({ pod }, ctx) => onStop(pod, 'StopPodSandbox', ctx),
    removePodSandbox: ({ pod }, ctx) => onStop(pod, 'RemovePodSandbox', ctx),
    createContainer: async ({ pod }) => {
      const adjust = await createContainer(deps, pod.uid);
      return adjust ? { adjust } : {};
    },
  };
}
