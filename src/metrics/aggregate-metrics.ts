/**
 * One server's metrics out of several registries: the owner thread's (model runs, the process),
 * served as they are, and each GraphQL thread's (operations, HTTP), added up. Series of the same
 * name and labels are combined as each metric says (`aggregator`: counters and histograms sum), as
 * prom-client's cluster mode does for worker processes, but fed by messages. The owner's metrics
 * are not passed through it: they exist once, and the cluster aggregators would drop some of the
 * process metrics (process_start_time_seconds is 'omit').
 */
import { AggregatorRegistry, type Registry } from 'prom-client';

/** Registry.getMetricsAsJSON() of one thread. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The Prometheus text of the owner's metrics (`ownerText`) and of all `threads` added up. */
export async function aggregateMetrics(ownerText: string, threads: readonly MetricsJson[]): Promise<string> {
  const summed = await AggregatorRegistry.aggregate([...threads]).metrics();
  return ownerText === '' ? summed : `${ownerText.trimEnd()}\n\n${summed}`;
}
