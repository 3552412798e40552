import { eventType, KINDS, type KindOf } from '@runlog/contracts';
import {
  type EventInput,
  type EventOptions,
  type InputData,
  type ProducerFamily,
} from './event-input';

/** The producer families, in contract order. */
export const PRODUCER_FAMILIES = (Object.keys(KINDS) as (keyof typeof KINDS)[]).filter(
  (family): family is ProducerFamily => family !== 'canonical' && family !== 'producer',
);

/**
 * Builds one typed event: `build('engine', 'request_served', {...})`. `data` is typed by
 * the contract, so a field the kind does not have (an engine `prompt`, say) does not
 * compile; `emit` checks the same rules again at run time.
 */
export function build<F extends ProducerFamily, K extends KindOf<F>>(
  family: F,
  kind: K,
  data: InputData<F, K>,
  options: EventOptions = {},
): EventInput<F, K> {
  return { ...options, type: eventType(family, kind), data };
}

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** One builder per kind of a family: `request_served` becomes `requestServed(data, options?)`. */
export type FamilyBuilders<F extends ProducerFamily> = {
  readonly [K in KindOf<F> as CamelCase<K>]: (
    data: InputData<F, K>,
    options?: EventOptions,
  ) => EventInput<F, K>;
};

/** Typed builders for every producer family: `events.trace.opStart({...})`. */
export type EventBuilders = {
  readonly [F in ProducerFamily as CamelCase<F>]: FamilyBuilders<F>;
};

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function familyBuilders(family: ProducerFamily): Record<string, unknown> {
  const kinds: readonly string[] = KINDS[family];
  return Object.fromEntries(
    kinds.map((kind) => [
      camelCase(kind),
      (data: unknown, options?: EventOptions) =>
        build(family, kind as never, data as never, options),
    ]),
  );
}

/**
 * Typed builders of every producer family and kind, built from the contract's kind list:
 * `events.engine.requestServed({route, model, provider, latency_ms, status_code})`.
 */
export const events = Object.freeze(
  Object.fromEntries(
    PRODUCER_FAMILIES.map((family) => [camelCase(family), Object.freeze(familyBuilders(family))]),
  ),
) as unknown as EventBuilders;
