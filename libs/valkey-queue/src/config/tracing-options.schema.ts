import { IsBoolean, IsOptional } from 'class-validator';

/** `tracing` after validation, defaults applied. @internal */
export interface ResolvedTracingOptions {
  /** Spans while an OpenTelemetry SDK is registered (`false`: never). */
  enabled: boolean;
}

/** class-validator schema of `TracingOptions`. @internal */
export class TracingSchema {
  @IsOptional() @IsBoolean() enabled?: boolean;
}
