// The workflow suite (workflow-suite.ts) against knd installed the way users install it: images
// built by buildah, `helm upgrade --install` of charts/knd, the agent as the DaemonSet pod on the
// real kubelet (its death: SIGKILL of its process and the deletion of its pod). The cases that need
// the agent restarted with other flags, or that test the runtime's and kubelet's restarts, run on
// the process target only (knd-workflow.test.ts); their code path in the agent is the same.
import { helmTarget } from './agent-targets.js';
import { workflowSuite } from './workflow-suite.js';

workflowSuite(helmTarget({ name: 'knd', namespace: 'knd-system' }), 'kndHw', [
  'workflow',
  'kill-after-attach',
  'kill-after-prepare',
  'kill-during-run',
]);
