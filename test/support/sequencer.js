// Deterministic order for the suites that share one control plane and one node: alphabetical, with
// the suites that stop and restart the kube-apiserver last (KCM's informers and the node tier need
// time to recover after a restart, and other suites must not see that window).
import SequencerModule from '@jest/test-sequencer';

const Sequencer = SequencerModule.default ?? SequencerModule;

const last = /apiserver-restart/;

export default class KndSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => {
      const la = last.test(a.path) ? 1 : 0;
      const lb = last.test(b.path) ? 1 : 0;
      return la !== lb ? la - lb : a.path.localeCompare(b.path);
    });
  }
}
