import { ENGINE_IDENTIFIER, ENGINE_ROUTE } from '../engine-values';
import { EngineStr, Int, Num, OptEngineStr } from '../validation/fields';
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

// Every string is an identifier, never free text (confidentiality by value, ../engine-values).
class ModelOnly {
  @EngineStr(ENGINE_IDENTIFIER) model!: string;
}
export class EngineStartedData extends ModelOnly implements EngineStarted {
  @Int(1, 65535) port!: number;
}
export class ModelLoadedData extends ModelOnly implements ModelLoaded {}
export class WarmUpCompleteData extends ModelOnly implements WarmUpComplete {}
export class EngineStoppingData extends ModelOnly implements EngineStopping {}
export class RequestServedData implements RequestServed {
  @EngineStr(ENGINE_ROUTE) route!: string;
  @EngineStr(ENGINE_IDENTIFIER) model!: string;
  @EngineStr(ENGINE_IDENTIFIER) provider!: string;
  @Num(0) latency_ms!: number;
  @Int(100, 599) status_code!: number;
}
export class EngineErrorData implements EngineError {
  @EngineStr(ENGINE_IDENTIFIER) kind!: string;
  @OptEngineStr(ENGINE_IDENTIFIER) model?: string;
}

export const ENGINE_SCHEMAS: { readonly [K in keyof EngineData]: KindSchema } = {
  engine_started: { cls: EngineStartedData },
  model_loaded: { cls: ModelLoadedData },
  warm_up_complete: { cls: WarmUpCompleteData },
  request_served: { cls: RequestServedData },
  engine_error: { cls: EngineErrorData },
  engine_stopping: { cls: EngineStoppingData },
};
