/**
 * Operations without a server: command-line flags and --help over every documented variable,
 * readiness reasons, the one execution-provider warning, and docs/configuration.md listing every
 * variable.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationPage } from '../../scripts/generate-docs.ts';
import { configVariables, flagName, helpText, parseCommandLine, readConfig } from '../../src/config.ts';
import { assertSomeProviderInstalled, providerFallbackWarning } from '../../src/inference/execution/execution-providers.ts';
import type { ModelRunner } from '../../src/inference/execution/model-session.ts';
import { ServerLifecycle } from '../../src/lifecycle.ts';
import { notReadyReason } from '../../src/plugins/use-health.ts';
import { FakeModel } from './fake-model.ts';

describe('command-line flags', () => {
  it('map to the variables: --port, --max-batch-size=…, and win over the environment', () => {
    const config = readConfig({ PORT: '5000', PREDICTQL_MAX_BATCH_SIZE: '64' }, [
      '--port',
      '4100',
      '--max-batch-size=512',
      '--inference-report',
      'always',
    ]);
    expect(config.port).toBe(4100);
    expect(config.scheduler.maxBatchSize).toBe(512);
    expect(config.inferenceReport).toBe('always');
    expect(readConfig({ PORT: '5000' }, []).port).toBe(5000);
    expect(flagName('PREDICTQL_MODELS_DIR')).toBe('--models-dir');
    expect(readConfig({}, ['--models-dir', '/srv/models']).modelsDir).toBe('/srv/models');
  });

  it.each([
    [['--port', '99999'], '--port (PORT) must be an integer within [0, 65535], but got: "99999"'],
    [['--executor=gpu'], '--executor (PREDICTQL_EXECUTOR) must be one of auto, main, worker'],
    [
      ['--shutdown-timeout-ms', '5'],
      '--shutdown-timeout-ms (PREDICTQL_SHUTDOWN_TIMEOUT_MS) must be an integer within [100, 600000], but got: "5"',
    ],
    [['--prot', '4000'], 'Unknown option "--prot"; run with --help to list the options.'],
    [['--port'], '--port must be followed by a value (--port <value> or --port=<value>), but got: nothing'],
    [['--port', '--host', 'x'], '--port must be followed by a value'],
    [['4000'], 'Arguments must be options like --port 4000, but got: "4000"'],
    [['--otel-traces-exporter', 'otlp'], 'Unknown option "--otel-traces-exporter"'],
  ])('refuse %j with a message that names the flag and echoes the value', (argv, message) => {
    expect(() => readConfig({}, argv)).toThrow(message);
  });

  it('--help / -h is recognised, and the help lists every variable with its flag and default', () => {
    expect(parseCommandLine(['--help']).help).toBe(true);
    expect(parseCommandLine(['-h', '--port', '1']).help).toBe(true);
    const help = helpText();
    for (const [name, doc] of Object.entries(configVariables)) {
      expect(help).toContain(name);
      expect(help).toContain(`${doc.help} Default: ${doc.default}.`);
      if (!name.startsWith('OTEL_')) expect(help).toContain(`${flagName(name)} <value>, ${name}`);
    }
  });

  it('docs/configuration.md documents every variable, with its flag, and is what `npm run docs` writes', () => {
    const table = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(table).toBe(configurationPage());
    for (const name of Object.keys(configVariables)) {
      const flag = name.startsWith('OTEL_') ? '(environment only)' : `\`${flagName(name)}\``;
      expect(table, name).toContain(`| \`${name}\` | ${flag} |`);
    }
  });
});

describe('new settings', () => {
  it('have defaults: shutdown bound 10 s, metrics on, tracing off', () => {
    expect(readConfig({})).toMatchObject({ shutdownTimeoutMs: 10_000, metrics: true, openTelemetry: { exporters: [] } });
    expect(readConfig({ PREDICTQL_METRICS: 'off' }).metrics).toBe(false);
  });

  it('turn tracing on from the standard OTEL_* variables only when asked', () => {
    expect(readConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).openTelemetry.exporters).toEqual(['otlp']);
    expect(readConfig({ OTEL_TRACES_EXPORTER: 'console,otlp' }).openTelemetry.exporters).toEqual(['console', 'otlp']);
    expect(readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).openTelemetry.exporters).toEqual(['otlp']);
    expect(readConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c/v1/traces' }).openTelemetry.exporters).toEqual(['otlp']);
    expect(readConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).openTelemetry.exporters).toEqual([]);
    expect(readConfig({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).openTelemetry.exporters).toEqual([]);
  });

  it.each([
    [
      { OTEL_TRACES_EXPORTER: 'jaeger' },
      'OTEL_TRACES_EXPORTER must be a comma-separated list of distinct exporters from otlp, console, none, but got: "jaeger"',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, but got: "collector:4318"',
    ],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED must be one of true, false, but got: "yes"'],
    [{ PREDICTQL_METRICS: 'true' }, 'PREDICTQL_METRICS must be one of on, off, but got: "true"'],
  ])('refuse %j', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});

describe('readiness', () => {
  it('needs every model warmed and the server serving', () => {
    const warm = new FakeModel('warm');
    const cold = Object.assign(new FakeModel('cold'), {}) as ModelRunner;
    Object.defineProperty(cold, 'warmedUp', { value: false });
    expect(notReadyReason(new ServerLifecycle(), [warm])).toBeUndefined();
    expect(notReadyReason(new ServerLifecycle(), [warm, cold])).toBe('not warmed up: cold');
    expect(notReadyReason(new ServerLifecycle('starting'), [warm])).toBe('loading models');
  });
});

describe('execution providers', () => {
  const onCpu = (name: string) => ({
    name,
    executionProvider: 'cpu',
    providerFailures: ['cuda: not in this onnxruntime-node install (install the GPU build …)'],
  });

  it('summarise a CUDA fallback of every model in one warning line', () => {
    const warning = providerFallbackWarning([onCpu('a'), onCpu('b')], ['cuda', 'cpu']);
    expect(warning).toBe(
      'PREDICTQL_EXECUTION_PROVIDERS asks for cuda,cpu, but cuda is not usable (cuda: not in this onnxruntime-node install (install the GPU build …)); serving a, b on cpu.',
    );
    expect(warning).not.toContain('\n');
    expect(providerFallbackWarning([{ name: 'a', executionProvider: 'cpu' }], ['cpu'])).toBeUndefined();
  });

  it('refuse CUDA alone when this install has no CUDA provider, saying how to fix it', () => {
    expect(() => assertSomeProviderInstalled(['cuda'], new Set(['cpu']))).toThrow(
      'PREDICTQL_EXECUTION_PROVIDERS asks for cuda only, but this onnxruntime-node has no cuda provider: install the GPU build with `npm run gpu:install` (CUDA 12 and cuDNN on the host), or allow the CPU fallback with PREDICTQL_EXECUTION_PROVIDERS=cuda,cpu.',
    );
    expect(() => assertSomeProviderInstalled(['cuda', 'cpu'], new Set(['cpu']))).not.toThrow();
  });
});
