/** Stable codes of a validation failure; they survive serialization and map to HTTP 400. */
export type ValidationCode =
  | 'required'
  | 'invalid_type'
  | 'blank'
  | 'invalid_value'
  | 'out_of_range'
  | 'invalid_format'
  | 'unknown_property'
  | 'unknown_family'
  | 'unknown_kind'
  | 'confidentiality_violation'
  /** `data` nests deeper than the stores allow (MAX_DATA_DEPTH). */
  | 'too_deep'
  /** The encoded event is larger than one NATS message may be. */
  | 'too_large';

/** One failing field, named by its path from the envelope root (`data.status_code`, `data.ctx[1]`). */
export interface ValidationError {
  readonly path: string;
  readonly code: ValidationCode;
  readonly message: string;
}
