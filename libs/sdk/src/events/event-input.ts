import { type DataOf, type Extensions, type Family, type KindOf } from '@runlog/contracts';

/**
 * The families a producer writes. `canonical` is written only by the normalizer and
 * `producer` only by the sinks themselves (docs/decisions.md D20).
 */
export type ProducerFamily = Exclude<Family, 'canonical' | 'producer'>;

/** An open enum (`{other: raw}` once decoded) is sent as its raw string. */
type WireValue<V> = V extends { readonly other: string } ? string & {} : V;

/** What a producer puts in `data` for one kind: the contract's fields, snake_case. */
export type InputData<F extends Family, K extends KindOf<F>> = {
  readonly [P in keyof DataOf<F, K>]: WireValue<DataOf<F, K>[P]>;
};

/** Envelope attributes a producer may set; the sink fills the rest. */
export interface EventOptions {
  /** Unique id, the dedupe key (default: a random UUID). */
  readonly id?: string;
  /** The CloudEvents source (default: the sink's `source`). */
  readonly source?: string;
  /** When it happened (default: when it was emitted). */
  readonly time?: string | Date;
  /** The partition key; derived from `data` when absent (needed for an `engine_error` without `model`). */
  readonly subject?: string;
  /**
   * CloudEvents extension attributes (`traceparent`, `tenant`, ...): names of a-z and 0-9,
   * string, 32-bit integer or boolean values, sent as top-level attributes.
   */
  readonly extensions?: Extensions;
}

/** One event of family `F` and kind `K`, ready to `emit`. */
export interface EventInput<
  F extends Family = Family,
  K extends KindOf<F> = KindOf<F>,
> extends EventOptions {
  /** `runlog.<family>.<kind>` */
  readonly type: `runlog.${F}.${K}`;
  readonly data: InputData<F, K>;
}

/** Any event a producer may emit: a union discriminated by `type`. */
export type AnyEventInput = {
  [F in ProducerFamily]: { [K in KindOf<F>]: EventInput<F, K> }[KindOf<F>];
}[ProducerFamily];
