/**
 * onnxruntime session settings. Defaults were chosen by measurement on the 2-core target machine
 * (see README, "Session settings"): one intra-op thread beats two below batch 4096 there, because
 * the thread pool's hand-off costs more than the split saves on a small MLP.
 */
import type { InferenceSession } from 'onnxruntime-node';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export type ExecutionProviderName = 'cpu' | 'cuda';

export interface SessionSettings {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: GraphOptimizationLevel;
  /** In order of preference; the first one that loads is used. */
  executionProviders: readonly ExecutionProviderName[];
}

export const defaultSessionSettings: SessionSettings = {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
  executionProviders: ['cpu'],
};

export function toOrtSessionOptions(
  settings: SessionSettings,
  providers: readonly ExecutionProviderName[],
): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: settings.interOpThreads,
    graphOptimizationLevel: settings.graphOptimization,
    executionMode: 'sequential',
    executionProviders: [...providers],
    // The warm-up run settles the arena; per-run allocations then come from it.
    enableCpuMemArena: true,
  };
}
