/**
 * Node tier end to end: a real kubelet (built from the cluster's Kubernetes version) on a real
 * containerd 2.x registers as a Ready Node; a busybox pod built locally (no registry) is scheduled,
 * runs, and `kubectl exec` reaches it through apiserver -> kubelet -> containerd's stream server; the
 * pod survives kubelet and containerd restarts.
 *
 * Needs root on Linux and the control plane from the jest global setup (KND_KUBECONFIG). Fails, with
 * the script output saying why, when any piece cannot run.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import {
  BUSYBOX_IMAGE,
  crictl,
  ensureNode,
  kubectl,
  restartContainerd,
  restartKubelet,
} from '../support/node.js';
import type { NodeInfo } from '../support/node.js';
import { kubeletVersion } from '../support/versions.js';

const NAMESPACE = 'default';
const POD_READY_TIMEOUT_MS = 90_000;

function kubeConfig(): KubeConfig {
  const file = process.env.KND_KUBECONFIG;
  if (file === undefined || file === '') {
    throw new Error(
      'KND_KUBECONFIG is not set: the jest global setup (test/support/global-setup.ts) did not run',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

function podName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

function podReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function waitForPodReady(core: CoreV1Api, name: string, timeoutMs: number): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  while (Date.now() < deadline) {
    last = await core.readNamespacedPod({ name, namespace: NAMESPACE });
    if (podReady(last)) {
      return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const events = await core.listNamespacedEvent({
    namespace: NAMESPACE,
    fieldSelector: `involvedObject.name=${name}`,
  });
  const reasons = events.items.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`).join('\n');
  throw new Error(
    `pod ${name} not Ready after ${timeoutMs} ms (phase ${last?.status?.phase ?? 'unknown'})\n${reasons}`,
  );
}

function busyboxPod(name: string, nodeName: string): V1Pod {
  // the client's model classes are plain data holders; fill one instead of passing a literal
  return Object.assign(new V1Pod(), {
    metadata: { name, namespace: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'knd-e2e' } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': nodeName },
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'main',
          image: BUSYBOX_IMAGE,
          imagePullPolicy: 'Never',
          command: ['sleep', '3600'],
        },
      ],
    },
  });
}

/** The CRI container id of the pod's only container, as containerd reports it. */
async function containerIdOf(podUid: string): Promise<string> {
  const ids = (await crictl(['ps', '-q', '--label', `io.kubernetes.pod.uid=${podUid}`])).trim().split('\n');
  const id = ids[0] ?? '';
  if (ids.length !== 1 || id === '') {
    throw new Error(
      `expected one running container for pod uid ${podUid}, crictl ps showed ${JSON.stringify(ids)}`,
    );
  }
  return id;
}

describe('node tier: kubelet + containerd', () => {
  let node: NodeInfo;
  let core: CoreV1Api;
  const created: string[] = [];

  beforeAll(async () => {
    node = await ensureNode();
    core = kubeConfig().makeApiClient(CoreV1Api);
  }, 600_000);

  // Delete the pods and wait until the kubelet has stopped their sandboxes, so the next suite finds
  // containerd without our running pods (a suite that stops the kubelet would otherwise inherit them).
  afterAll(async () => {
    const uids: string[] = [];
    for (const name of created) {
      const pod = await core.readNamespacedPod({ name, namespace: NAMESPACE });
      uids.push(pod.metadata?.uid ?? '');
      await core.deleteNamespacedPod({ name, namespace: NAMESPACE, gracePeriodSeconds: 0 });
    }
    const deadline = Date.now() + 60_000;
    for (const uid of uids) {
      while (
        (
          await crictl(['pods', '-q', '--state', 'ready', '--label', `io.kubernetes.pod.uid=${uid}`])
        ).trim() !== ''
      ) {
        if (Date.now() > deadline) {
          throw new Error(`the kubelet did not stop the sandbox of pod uid ${uid} within 60 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // the stopped sandboxes would wait for the kubelet's GC (a minute); remove them now
      const stopped = (await crictl(['pods', '-q', '--label', `io.kubernetes.pod.uid=${uid}`])).trim();
      for (const id of stopped === '' ? [] : stopped.split('\n')) {
        await crictl(['rmp', '-f', id]);
      }
    }
  }, 90_000);

  it('registers the node Ready, untainted, with the versions and address it was started with', async () => {
    const n = await core.readNode({ name: node.nodeName });
    const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    expect(n.spec?.taints ?? []).toEqual([]);
    expect(n.status?.nodeInfo?.kubeletVersion).toBe(kubeletVersion());
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
    const internal = (n.status?.addresses ?? []).find((a) => a.type === 'InternalIP');
    expect(internal?.address).toBe(node.nodeIp);
  });

  it('lets the apiserver reach the kubelet (the path kubectl exec and logs take)', async () => {
    let answer: string;
    try {
      answer = await kubectl(['get', '--raw', `/api/v1/nodes/${node.nodeName}/proxy/healthz`]);
    } catch (error) {
      throw new Error(
        'apiserver -> kubelet failed; the apiserver needs --kubelet-preferred-address-types=InternalIP,Hostname, ' +
          'a --kubelet-client-certificate signed by the cluster CA, and that user bound to system:kubelet-api-admin',
        { cause: error },
      );
    }
    expect(answer.trim()).toBe('ok');
  });

  it('runs a locally built busybox pod on the pod network and kubectl exec reaches it', async () => {
    const name = podName('knd-node-bb');
    created.push(name);
    await core.createNamespacedPod({ namespace: NAMESPACE, body: busyboxPod(name, node.nodeName) });
    const pod = await waitForPodReady(core, name, POD_READY_TIMEOUT_MS);
    expect(pod.spec?.nodeName).toBe(node.nodeName);
    const podIp = pod.status?.podIP ?? '';
    expect(podIp).toMatch(/^10\.88\.0\.\d+$/);

    const out = await kubectl([
      'exec',
      '-n',
      NAMESPACE,
      name,
      '--',
      'sh',
      '-c',
      'echo exec-ok; ip -4 -o addr show dev eth0',
    ]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('exec-ok');
    expect(lines[1]).toContain(`inet ${podIp}/24`);
  });

  it('keeps the pod running with the same container across kubelet and containerd restarts', async () => {
    const name = podName('knd-node-restart');
    created.push(name);
    await core.createNamespacedPod({ namespace: NAMESPACE, body: busyboxPod(name, node.nodeName) });
    const pod = await waitForPodReady(core, name, POD_READY_TIMEOUT_MS);
    const uid = pod.metadata?.uid ?? '';
    const before = await containerIdOf(uid);

    await restartKubelet();
    expect(await containerIdOf(uid)).toBe(before);
    await restartContainerd();
    expect(await containerIdOf(uid)).toBe(before);

    const after = await waitForPodReady(core, name, POD_READY_TIMEOUT_MS);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const out = await kubectl(['exec', '-n', NAMESPACE, name, '--', 'cat', '/proc/1/cmdline']);
    expect(out.split('\0').filter((s) => s !== '')).toEqual(['sleep', '3600']);
  });
});
