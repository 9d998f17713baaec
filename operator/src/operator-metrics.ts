// The operator's Prometheus metrics (one set per operator instance).
import type { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '../../lib/util/metrics.js';

export interface OperatorMetrics {
  base: Metrics;
  reconciles: Counter<'kind' | 'result'>;
  reconcileDuration: Histogram<'kind'>;
  apiRequests: Counter<'verb' | 'resource' | 'code'>;
  queueDepth: Gauge;
  isLeader: Gauge;
}

export function createOperatorMetrics(defaultMetrics: boolean): OperatorMetrics {
  const base = new Metrics({ prefix: 'knd_operator_', defaultMetrics });
  return {
    base,
    reconciles: base.counter('reconciles_total', 'Reconciles by kind and result (success, error).', [
      'kind',
      'result',
    ]),
    reconcileDuration: base.histogram('reconcile_duration_seconds', 'Time per reconcile.', ['kind']),
    apiRequests: base.counter(
      'api_requests_total',
      'Kubernetes API requests by verb, resource and HTTP status.',
      ['verb', 'resource', 'code'],
    ),
    queueDepth: base.gauge('work_queue_depth', 'Keys waiting in the work queue.'),
    isLeader: base.gauge('is_leader', '1 while this replica holds the leader Lease.'),
  };
}
