// Per-test timeout of the integration project (jest has no per-project testTimeout): real peers
// (apiserver restarts, kubelet pod starts) take seconds, not the unit default of 5 s.
import { jest } from '@jest/globals';

jest.setTimeout(180_000);
