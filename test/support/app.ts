/**
 * The real app of an integration test file: real models, real onnxruntime-node, default config,
 * every model probed (probe.ts) so that tests count runs where they reach the models. Workers run
 * the instrumented worker script, which counts (and can hold) their runs the same way.
 */
import { type AppOptions, appOptions, createApp, loadServices, type PredictQLApp, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { instrumentedWorker, Probes } from './probe.ts';

export interface RealApp {
  services: Services;
  yoga: PredictQLApp;
  probes: Probes;
}

/** Loads the models with `env` (PREDICTQL_* variables), probed, and builds the app over them. */
export async function loadRealApp(env: Record<string, string> = {}, app: Partial<AppOptions> = {}): Promise<RealApp> {
  const probes = new Probes();
  const services = await loadServices(readConfig(env), () => {}, { wrapModels: probes.wrap, workerFile: instrumentedWorker });
  return { services, yoga: createApp(appOptions(services, app)), probes };
}
