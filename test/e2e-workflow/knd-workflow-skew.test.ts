// Version skew: the workflow suite's core cases with the node's kubelet at the oldest minor of the
// supported window (KND_SKEW_KUBELET_VERSION, test/cluster/versions.sh) against the default control
// plane; the kubelet may lag the apiserver by up to three minors. node-up.sh restarts the kubelet as
// that release under the running pods; afterAll puts the default kubelet back.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ensureNode, kubectl } from '../support/node.js';
import { kubeletVersion, kubeVersion, versionOf } from '../support/versions.js';
import { processTarget } from './agent-targets.js';
import { workflowSuite } from './workflow-suite.js';

const skew = versionOf('KND_SKEW_KUBELET_VERSION');
const skewEnv = { KND_KUBELET_VERSION: skew };

async function nodeKubeletVersion(nodeName: string): Promise<string> {
  return (
    await kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.nodeInfo.kubeletVersion}'])
  ).trim();
}

let nodeName = '';
beforeAll(async () => {
  nodeName = (await ensureNode({ env: skewEnv })).nodeName;
}, 600_000);

it(`runs the node's kubelet at ${skew} against the ${kubeVersion()} control plane`, async () => {
  expect(skew).not.toBe(kubeVersion());
  expect(await nodeKubeletVersion(nodeName)).toBe(skew);
});

// ensureNode() inside the suite reuses the skewed kubelet (same KND_KUBELET_VERSION in this process)
process.env['KND_KUBELET_VERSION'] = skew;
workflowSuite(processTarget(), 'kndSkw', ['workflow', 'competition', 'kill-after-prepare']);

afterAll(async () => {
  delete process.env['KND_KUBELET_VERSION'];
  const node = await ensureNode();
  expect(await nodeKubeletVersion(node.nodeName)).toBe(kubeletVersion());
}, 600_000);
