/**
 * Which onnxruntime execution providers this install can use, and the one start-up message about
 * them: CUDA asked for but not usable means one warning (CPU fallback allowed) or a refusal to
 * start (CUDA only), never a warning per model.
 */
import { listSupportedBackends } from 'onnxruntime-node';
import type { ExecutionProviderName } from './session-options.ts';

/** What the start-up message needs to know of a loaded model. */
export interface ProviderChoice {
  name: string;
  executionProvider: string;
  /** Why earlier providers of the preference list could not be used. */
  providerFailures?: readonly string[] | undefined;
}

export const GPU_INSTALL_HINT = 'install the GPU build with `npm run gpu:install` (CUDA 12 and cuDNN on the host)';

/** Providers whose binaries this onnxruntime-node install carries (cpu always). */
export function installedProviders(): Set<string> {
  return new Set(
    listSupportedBackends()
      .filter((b) => b.bundled || b.name === 'cpu')
      .map((b) => b.name),
  );
}

/** Throws when none of the requested providers is even installed (e.g. `cuda` alone on a CPU build). */
export function assertSomeProviderInstalled(requested: readonly ExecutionProviderName[], installed = installedProviders()): void {
  if (requested.some((p) => installed.has(p))) return;
  throw new Error(
    `PREDICTQL_EXECUTION_PROVIDERS asks for ${requested.join(',')} only, but this onnxruntime-node ` +
      `has no ${requested.join(' or ')} provider: ` +
      `${GPU_INSTALL_HINT}, or allow the CPU fallback with PREDICTQL_EXECUTION_PROVIDERS=${[...requested, 'cpu'].join(',')}.`,
  );
}

/** One line when some model runs on a provider other than the first one asked for, else undefined. */
export function providerFallbackWarning(
  models: readonly ProviderChoice[],
  requested: readonly ExecutionProviderName[],
): string | undefined {
  const preferred = requested[0];
  const fellBack = models.filter((m) => m.executionProvider !== preferred);
  if (!preferred || fellBack.length === 0) return undefined;
  const reasons = [...new Set(fellBack.flatMap((m) => m.providerFailures ?? []))];
  const byProvider = new Map<string, string[]>();
  for (const m of fellBack) byProvider.set(m.executionProvider, [...(byProvider.get(m.executionProvider) ?? []), m.name]);
  const running = [...byProvider].map(([provider, names]) => `${names.join(', ')} on ${provider}`).join('; ');
  return (
    `PREDICTQL_EXECUTION_PROVIDERS asks for ${requested.join(',')}, but ${preferred} is not usable ` +
    `(${reasons.join('; ') || 'unknown reason'}); serving ${running}.`
  );
}
