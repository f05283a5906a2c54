/**
 * The real app of an integration test file: real models, real onnxruntime-node, default config,
 * every model probed (probe.ts) so that tests count runs where they reach the models. Workers run
 * the instrumented worker script, which counts (and can hold) their runs the same way.
 */
import {
  type AppOptions,
  appOptions,
  configuredAppOptions,
  createApp,
  loadServices,
  type PredictQLApp,
  type Services,
} from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { instrumentedWorker, Probes } from './probe.ts';

export interface RealApp {
  services: Services;
  yoga: PredictQLApp;
  probes: Probes;
}

/** Loads the models with `env` (PREDICTQL_* variables), probed, and builds the app over them with `env`'s settings. */
export async function loadRealApp(env: Record<string, string> = {}, app: Partial<AppOptions> = {}): Promise<RealApp> {
  const probes = new Probes();
  const config = readConfig(env);
  const services = await loadServices(config, () => {}, { wrapModels: probes.wrap, workerFile: instrumentedWorker });
  // The app options `env` sets, as the server takes them (limits, report, engine...), then the test's own.
  return { services, yoga: createApp(appOptions(services, { ...configuredAppOptions(config), ...app })), probes };
}
