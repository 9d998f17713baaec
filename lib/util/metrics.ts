// Prometheus helpers (prom-client): one Registry per component instance (so two in-process
// operators or agents in one test do not collide), plus an HTTP handler body for /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** Prefix such as `knd_operator_`. */
  prefix: string;
  /** Also collect process metrics (CPU, memory, event loop); off for tests with many instances. */
  defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly opts: MetricsOptions;
  constructor(opts: MetricsOptions) {
    this.opts = opts;
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: opts.prefix });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name: this.opts.prefix + name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name: this.opts.prefix + name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  ): Histogram<L> {
    return new Histogram({
      name: this.opts.prefix + name,
      help,
      labelNames,
      buckets,
      registers: [this.registry],
    });
  }

  /** Exposition text and content type for a /metrics response. */
  async exposition(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
