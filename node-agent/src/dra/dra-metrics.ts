// Prometheus metrics of the DRA kubelet plugin (registered on the agent's registry, /metrics).
import type { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../../../lib/util/metrics.js';

export type DraMethod = 'prepare' | 'unprepare';

export interface DraMetrics {
  /** gRPC calls by method and outcome (ok: every claim succeeded; error: at least one failed). */
  calls: Counter<'method' | 'result'>;
  /** Claims handled, by method and outcome. */
  claims: Counter<'method' | 'result'>;
  /** Whole-call latency, seconds (fsync included). */
  callSeconds: Histogram<'method'>;
  /** Registration status reports from the kubelet (registered true/false). */
  registrations: Counter<'registered'>;
  /** IPPool address allocation (prepare) and release (unprepare) per claim, seconds (claim-addresses.ts). */
  ipamSeconds: Histogram<'operation' | 'result'>;
}

export function draMetrics(m: Metrics): DraMetrics {
  return {
    calls: m.counter('dra_calls_total', 'DRA NodePrepare/NodeUnprepareResources calls', ['method', 'result']),
    claims: m.counter('dra_claims_total', 'Claims prepared/unprepared, by outcome', ['method', 'result']),
    callSeconds: m.histogram(
      'dra_call_duration_seconds',
      'DRA call latency including fsync',
      ['method'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    ipamSeconds: m.histogram(
      'dra_ipam_duration_seconds',
      'IPPool addresses of one claim: allocate at prepare, release at unprepare (apiserver round trips)',
      ['operation', 'result'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    registrations: m.counter('dra_registration_status_total', 'NotifyRegistrationStatus from the kubelet', [
      'registered',
    ]),
  };
}
