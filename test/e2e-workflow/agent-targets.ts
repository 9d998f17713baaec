/**
 * The two ways the workflow suite runs knd on the real node, behind one interface so that the same
 * cases drive both:
 * - `processTarget`: the operator and the node agent as host processes built from dist/ (fast to
 *   restart with other flags; the agent's death is a SIGKILL of that process);
 * - `helmTarget`: the release users install: images built by buildah and imported into the node's
 *   containerd, `helm upgrade --install` of charts/knd (test/support/helm-release.ts); the agent is
 *   the DaemonSet pod on the real kubelet, its death a SIGKILL of its process plus the deletion of
 *   its pod (the DaemonSet then makes a new one).
 */
import path from 'node:path';
import { kubectl, type NodeInfo } from '../support/node.js';
import {
  runDirOf,
  startAgent,
  startKndOperator,
  waitKubeletRegistered,
  type AgentSettings,
  type ManagedProcess,
  type ProcessOptions,
} from '../support/agent-process.js';
import {
  HELM_AGENT_STATE_DIR,
  buildAndImportImages,
  helmTest,
  installLocal,
  killAgentPod,
  uninstall,
  waitAgentReady,
  waitNoAgentPods,
  type Release,
} from '../support/helm-release.js';

export interface AgentTarget {
  readonly name: 'process' | 'helm';
  /** Host directory of the agent's durable state (plans, attach records). */
  readonly stateDir: string;
  /** Starts the operator and the agent; resolves when the agent is registered with the kubelet. */
  setUp(node: NodeInfo, suffix: string): Promise<void>;
  /** SIGKILL of the agent, at once. */
  kill(): Promise<void>;
  /** The agent is running again (with `extraArgs`, process target only) and registered. */
  restart(extraArgs?: readonly string[]): Promise<void>;
  /** Stops the agent gracefully (process target only). */
  stop(): Promise<void>;
  tearDown(): Promise<void>;
}

export interface ProcessTargetOptions {
  /** The agent's --state-dir (default $KND_RUN_DIR/knd-agent/state). */
  readonly stateDir?: string;
  /** Passed to startAgent/startKndOperator: `{ build: false }` from a program already running from dist/. */
  readonly process?: ProcessOptions;
}

export function processTarget(options: ProcessTargetOptions = {}): AgentTarget {
  let agent: ManagedProcess | undefined;
  let operator: ManagedProcess | undefined;
  let settings: AgentSettings | undefined;
  const stateDir = options.stateDir ?? path.join(runDirOf(), 'knd-agent', 'state');
  const processOptions = options.process ?? {};
  const restart = async (extraArgs: readonly string[] = []): Promise<void> => {
    if (!settings) throw new Error('processTarget.restart before setUp');
    agent = await startAgent({ ...settings, extraArgs }, processOptions);
    await waitKubeletRegistered(settings.metricsPort);
  };
  return {
    name: 'process',
    stateDir,
    async setUp(node, suffix) {
      const kubeconfig = process.env['KND_KUBECONFIG'] ?? path.join(runDirOf(), 'admin.kubeconfig');
      operator = await startKndOperator(
        { kubeconfig, healthPort: 18481, leaseName: `knd-e2e-${suffix}` },
        processOptions,
      );
      settings = {
        nodeName: node.nodeName,
        kubeconfig,
        kubeletRootDir: node.kubeletRootDir,
        nriSocketPath: node.nriSocketPath,
        stateDir,
        // the runtime's dynamic CDI directory (containerd-up.sh cdi_spec_dirs): the attach guard lives there
        cdiDir: '/var/run/cdi',
        metricsPort: 18483,
        optInVirtual: ['veth'],
      };
      await restart();
    },
    kill: async () => {
      await agent?.kill();
    },
    restart,
    stop: async () => {
      await agent?.stop();
    },
    async tearDown() {
      const errors: string[] = [];
      for (const p of [agent, operator])
        await p?.stop().catch((e: unknown) => errors.push((e as Error).message));
      if (errors.length > 0) throw new Error(errors.join('\n'));
    },
  };
}

export function helmTarget(release: Release): AgentTarget {
  let killed: string[] = [];
  return {
    name: 'helm',
    stateDir: HELM_AGENT_STATE_DIR,
    async setUp() {
      await buildAndImportImages();
      await installLocal(release);
      await waitAgentReady(release);
      // what a user runs after installing: the chart's own test
      const check = await helmTest(release);
      if (!/ok: ResourceSlices of knd\.dev published/.test(check))
        throw new Error(`helm test did not report the slices:\n${check}`);
    },
    async kill() {
      killed = [...killed, await killAgentPod(release)];
    },
    async restart(extraArgs = []) {
      if (extraArgs.length > 0)
        throw new Error('the helm target restarts the agent with the release values only');
      await waitAgentReady(release, killed);
    },
    stop: () => Promise.reject(new Error('the helm target has no graceful stop of the agent alone')),
    async tearDown() {
      await uninstall(release);
      await waitNoAgentPods(release);
      // what helm leaves: the namespace and the `helm test` pod (kept for its logs)
      await kubectl([
        'delete',
        'namespace',
        release.namespace,
        '--ignore-not-found',
        '--wait=true',
        '--timeout=120s',
      ]);
    },
  };
}
