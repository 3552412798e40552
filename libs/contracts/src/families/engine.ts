import { Int, Num, OptStr, Str } from '../validation/fields';
import { type KindSchema } from './schema';

export interface EngineStarted {
  readonly model: string;
  readonly port: number;
}
export interface ModelLoaded {
  readonly model: string;
}
export interface WarmUpComplete {
  readonly model: string;
}
export interface RequestServed {
  readonly route: string;
  readonly model: string;
  readonly provider: string;
  readonly latency_ms: number;
  /** 100..599; never defaulted. */
  readonly status_code: number;
}
/** `model` is runlog's addition (docs/decisions.md D4); without it `subject` is the key. */
export interface EngineError {
  readonly kind: string;
  readonly model?: string;
}
export interface EngineStopping {
  readonly model: string;
}

export interface EngineData {
  engine_started: EngineStarted;
  model_loaded: ModelLoaded;
  warm_up_complete: WarmUpComplete;
  request_served: RequestServed;
  engine_error: EngineError;
  engine_stopping: EngineStopping;
}

class ModelOnly {
  @Str() model!: string;
}
export class EngineStartedData extends ModelOnly implements EngineStarted {
  @Int(1, 65535) port!: number;
}
export class ModelLoadedData extends ModelOnly implements ModelLoaded {}
export class WarmUpCompleteData extends ModelOnly implements WarmUpComplete {}
export class EngineStoppingData extends ModelOnly implements EngineStopping {}
export class RequestServedData implements RequestServed {
  @Str() route!: string;
  @Str() model!: string;
  @Str() provider!: string;
  @Num(0) latency_ms!: number;
  @Int(100, 599) status_code!: number;
}
export class EngineErrorData implements EngineError {
  @Str() kind!: string;
  @OptStr() model?: string;
}

export const ENGINE_SCHEMAS: { readonly [K in keyof EngineData]: KindSchema } = {
  engine_started: { cls: EngineStartedData },
  model_loaded: { cls: ModelLoadedData },
  warm_up_complete: { cls: WarmUpCompleteData },
  request_served: { cls: RequestServedData },
  engine_error: { cls: EngineErrorData },
  engine_stopping: { cls: EngineStoppingData },
};
