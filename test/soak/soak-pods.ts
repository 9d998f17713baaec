/**
 * Pod-side helpers of the soak test: one poller that lists the soak namespace's pods every
 * `intervalMs` (one kubectl call for all waiters, instead of one per pod every 250 ms, which on a
 * two-core node would cost the agent CPU the soak is measuring), and the check that a claim pod
 * runs with its NIC configured. Contract: `PodBoard.waitReady` resolves when the pod is Ready in a
 * listing, rejects after its timeout with the pod's last phase and conditions; a failed listing is
 * kept (`lastError`) and retried on the next tick, never thrown at the waiters.
 */
import { getJson, podExec, podReady, runningContainers, type PodJson } from '../e2e/knd-e2e-env.js';

export type SoakPod = PodJson & { metadata: PodJson['metadata'] & { deletionTimestamp?: string } };

export class PodBoard {
  private pods = new Map<string, SoakPod>();
  private stopped = false;
  private lastError: string | undefined;
  private readonly loop: Promise<void>;
  private readonly namespace: string;
  private readonly intervalMs: number;

  constructor(namespace: string, intervalMs = 1_000) {
    this.namespace = namespace;
    this.intervalMs = intervalMs;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const list = await getJson<{ items: SoakPod[] }>(['pods', '-n', this.namespace]);
        this.pods = new Map(list.items.map((p) => [p.metadata.name, p]));
        this.lastError = undefined;
      } catch (error) {
        this.lastError = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  /** Pods of the last listing whose containers run and that are not being deleted. */
  running(): SoakPod[] {
    return [...this.pods.values()].filter(
      (p) => p.metadata.deletionTimestamp === undefined && runningContainers(p).length > 0,
    );
  }

  async waitReady(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pod = this.pods.get(name);
      if (pod !== undefined && podReady(pod)) return;
      if (Date.now() > deadline) {
        const why = this.lastError === undefined ? '' : `; last listing failed: ${this.lastError}`;
        throw new Error(
          `not Ready after ${timeoutMs} ms (phase ${pod?.status?.phase ?? 'unknown'}, conditions ${JSON.stringify(pod?.status?.conditions ?? [])}${why})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs / 2));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** The NetworkConfig's first address on net1 (examples/secondary-nic/network-profile.yaml). */
export const NET1_ADDRESS = '198.51.100.10/24';

export type Net1Check = { readonly kind: 'configured' } | { readonly kind: 'missing'; readonly seen: string };

/**
 * `ip -o addr show` inside the pod: net1 must carry its planned address. Rejects when the exec does
 * not go through (kubelet or containerd restarting, pod going away): that says nothing about net1.
 */
export async function checkNet1(namespace: string, pod: string): Promise<Net1Check> {
  const out = await podExec(namespace, pod, ['ip', '-o', 'addr', 'show']);
  const configured = new RegExp(`\\bnet1\\s+inet ${NET1_ADDRESS.replaceAll('.', '\\.')}\\b`);
  if (configured.test(out)) return { kind: 'configured' };
  const seen = out
    .split('\n')
    .map((l) => /^\d+:\s+(\S+)\s+(inet6?\s+\S+)/.exec(l))
    .flatMap((m) => (m === null ? [] : [`${m[1] ?? ''} ${m[2] ?? ''}`]));
  return { kind: 'missing', seen: seen.join(', ') || 'no address' };
}
