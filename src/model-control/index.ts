/**
 * Model control: what may change the served models while the server runs (the mode, its poller
 * and its admin endpoint), started once the models serve and stopped first on shutdown. The
 * server (src/server.ts) uses this module only.
 */
import type { Services } from '../app.ts';
import type { ServingFront } from '../serving-front.ts';
import { AdminServer } from './admin-server.ts';
import { ModelControl, type ModelControlParts } from './model-control.ts';
import type { ModelControlOptions } from './model-control-options.ts';
import { ModelPoller } from './model-poller.ts';

export { ADMIN_HOST } from './admin-server.ts';
export { ModelControl, type ReloadResult } from './model-control.ts';
export { defaultModelControlOptions, type ModelControlMode, type ModelControlOptions, modelControlModes } from './model-control-options.ts';

export interface RunningModelControl {
  control: ModelControl;
  /** The admin endpoint's port on 127.0.0.1. */
  adminPort: number;
  poller: ModelPoller | undefined;
  /** No more polls or reloads; resolves once a reload under way is done and the admin endpoint is closed. */
  close(): Promise<void>;
}

/** Starts model control for `options.mode` (`none`: undefined, nothing runs). */
export async function startModelControl(
  options: ModelControlOptions,
  services: Services,
  front: ServingFront,
  parts: Pick<ModelControlParts, 'modelsDir' | 'loadOptions' | 'log' | 'wrap'>,
): Promise<RunningModelControl | undefined> {
  if (options.mode === 'none') return undefined;
  const control = await ModelControl.start({
    ...parts,
    inference: services.inference,
    retireWaitMs: options.retireWaitMs,
    publish: () => front.publishModels(services, options.retireWaitMs),
  });
  const admin = new AdminServer(control, options.mode);
  const adminPort = await admin.listen(options.adminPort);
  const poller =
    options.mode === 'poll'
      ? new ModelPoller(control, parts.modelsDir, services.registry.names, options.pollIntervalMs, parts.log)
      : undefined;
  poller?.start();
  parts.log.info(
    `model control ${options.mode}${poller ? ` (every ${options.pollIntervalMs} ms)` : ''}: admin endpoint at http://127.0.0.1:${adminPort}/v2/repository/index`,
  );
  return {
    control,
    adminPort,
    poller,
    close: async () => {
      await poller?.stop();
      await control.close();
      await admin.close();
    },
  };
}
