/**
 * One server's metrics out of several registries: the owner thread's (model runs, the process)
 * and each GraphQL thread's (operations, HTTP). Series of the same name and labels are combined as
 * each metric says (`aggregator`: counters and histograms sum, prom-client's process metrics pick
 * theirs), as prom-client's cluster mode does for worker processes, but fed by messages.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';

/** Registry.getMetricsAsJSON() of one thread. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The Prometheus text of all `parts` together. */
export function aggregateMetrics(parts: readonly MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate([...parts]).metrics();
}
