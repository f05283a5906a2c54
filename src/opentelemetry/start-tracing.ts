/**
 * Starts OpenTelemetry tracing when the standard OTEL_* variables ask for it (config.ts reads and
 * checks them): a NodeTracerProvider registered globally (W3C trace-context propagation), with the
 * OTLP/HTTP exporter (which reads OTEL_EXPORTER_OTLP_* itself) and/or the console exporter. The
 * SDK reads OTEL_TRACES_SAMPLER and OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES as usual.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { OpenTelemetryConfig } from '../config.ts';

export interface Tracing {
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/** Undefined when tracing is off (the default): spans then cost a no-op call. */
export function startTracing(config: OpenTelemetryConfig, serviceVersion?: string): Tracing | undefined {
  if (config.exporters.length === 0) return undefined;
  const spanProcessors: SpanProcessor[] = config.exporters.map((exporter) =>
    exporter === 'otlp' ? new BatchSpanProcessor(new OTLPTraceExporter()) : new SimpleSpanProcessor(new ConsoleSpanExporter()),
  );
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'predictql', ...(serviceVersion ? { 'service.version': serviceVersion } : {}) }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
