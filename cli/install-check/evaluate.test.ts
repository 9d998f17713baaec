import { describe, it, expect } from '@jest/globals';
import { evaluateInstall, type CheckFacts } from './evaluate.js';

const operator = {
  replicas: 2,
  ready: 2,
  runningPods: ['op-a', 'op-b'],
  leaderElection: true,
};
const healthy: CheckFacts = {
  agent: { desired: 2, ready: 2, readyNodes: ['n1', 'n2'] },
  sliceNodes: ['n1', 'n2', 'n2'],
  operator: { ...operator, leaseHolder: 'op-b-1f2e3d4c' },
};

const failed = (f: CheckFacts): string[] =>
  evaluateInstall(f)
    .filter((r) => !r.ok)
    .map((r) => r.what);

describe('evaluateInstall', () => {
  it('a healthy install passes every check', () => {
    const results = evaluateInstall(healthy);
    expect(results).toHaveLength(4);
    expect(failed(healthy)).toEqual([]);
  });

  it.each<[string, CheckFacts, string]>([
    [
      'an agent pod not Ready',
      { ...healthy, agent: { desired: 2, ready: 1, readyNodes: ['n1'] } },
      'agent DaemonSet: 1/2 pods Ready',
    ],
    ['no node targeted', { ...healthy, agent: { desired: 0, ready: 0, readyNodes: [] } }, '0/0 pods Ready'],
    ['a node without slices', { ...healthy, sliceNodes: ['n1'] }, 'no knd.dev ResourceSlice for node(s) n2'],
    [
      'an operator replica not Ready',
      { ...healthy, operator: { ...operator, leaseHolder: 'op-b-1f2e3d4c', ready: 1 } },
      'operator Deployment: 1/2 replicas Ready',
    ],
    ['no leader', { ...healthy, operator }, 'operator Lease: no leader yet'],
    [
      'a stale leader',
      { ...healthy, operator: { ...operator, leaseHolder: 'op-gone' } },
      'held by op-gone, which is not a running operator pod',
    ],
  ])('%s fails with a reason', (_name, facts, reason) => {
    expect(failed(facts).join('\n')).toContain(reason);
  });

  it('checks only the components that are installed', () => {
    const onlyOperator = { sliceNodes: [], operator: { ...operator, leaseHolder: 'op-a' } };
    expect(evaluateInstall(onlyOperator).map((r) => r.ok)).toEqual([true, true]);
    const noElection = { ...operator, leaderElection: false, replicas: 1, ready: 1 };
    expect(evaluateInstall({ sliceNodes: [], operator: noElection })).toHaveLength(1);
  });
});
