/** The real app of an integration test file: real models, real onnxruntime-node, default config. */
import { createApp, loadServices, type PredictQLApp, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';

export async function loadRealApp(): Promise<{ services: Services; yoga: PredictQLApp }> {
  const services = await loadServices(readConfig({}));
  return { services, yoga: createApp(services) };
}
