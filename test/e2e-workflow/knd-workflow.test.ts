// The workflow suite (workflow-suite.ts) with the operator and the agent as host processes: every
// case, including those that restart the agent with other flags (NRI off) or restart the kubelet
// and containerd.
import { processTarget } from './agent-targets.js';
import { ALL_CASES, workflowSuite } from './workflow-suite.js';

workflowSuite(processTarget(), 'kndWf', ALL_CASES);
