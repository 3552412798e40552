import { FAMILIES, type Family } from '../families';
import { type ValidationError } from '../validation-error';
import { joinPath } from '../validation/validate-shape';
import { At, Int, OptInt, OptNested, Str } from '../validation/fields';
import { type Instant, type KindSchema } from './schema';

// The producer family (docs/decisions.md D20): what a producer's own SDK records about
// itself, keyed by `source`. Its one kind records events a producer dropped before they
// reached runlog, so that no drop is silent.

/** Dropped events per family (only the families that lost any). */
export type GapFamilies = { readonly [F in Family]?: number };

/**
 * The events with `sourceseq` `from_sourceseq..to_sourceseq` (both inclusive) of `source`
 * were dropped by the producer (its buffer overflowed while runlog was unreachable).
 */
export interface ProducerGap {
  /** The source that lost the events (the `source` attribute they would have had). */
  readonly source: string;
  readonly from_sourceseq: number;
  readonly to_sourceseq: number;
  /** How many were dropped: at least 1, at most the size of the range. */
  readonly dropped: number;
  /** When the first of them was dropped. */
  readonly at: Instant;
  readonly families?: GapFamilies;
}
export interface ProducerData {
  gap: ProducerGap;
}

/** One optional count (>= 1) per family; any other property is unknown. */
export class GapFamiliesData {}
for (const family of FAMILIES) OptInt(1)(GapFamiliesData.prototype, family);

export class ProducerGapData {
  @Str() source!: string;
  @Int(0) from_sourceseq!: number;
  @Int(0) to_sourceseq!: number;
  @Int(1) dropped!: number;
  @At() at!: Instant;
  @OptNested(() => GapFamiliesData) families?: GapFamilies;
}

/** `from_sourceseq <= to_sourceseq` and `dropped <= to - from + 1`, once each field is valid. */
function gapRange(data: Record<string, unknown>, path: string): ValidationError[] {
  const { from_sourceseq: from, to_sourceseq: to, dropped } = data;
  const valid = (value: unknown, min: number): value is number =>
    Number.isSafeInteger(value) && (value as number) >= min;
  if (!valid(from, 0) || !valid(to, 0)) return [];
  if (to < from) {
    const at = joinPath(path, 'to_sourceseq');
    return [
      {
        path: at,
        code: 'out_of_range',
        message: `${at} must not be less than ${joinPath(path, 'from_sourceseq')}`,
      },
    ];
  }
  if (valid(dropped, 1) && dropped > to - from + 1) {
    const at = joinPath(path, 'dropped');
    return [
      {
        path: at,
        code: 'out_of_range',
        message: `${at} must not exceed the size of the range (${to - from + 1})`,
      },
    ];
  }
  return [];
}

export const PRODUCER_SCHEMAS: { readonly [K in keyof ProducerData]: KindSchema } = {
  gap: { cls: ProducerGapData, check: gapRange },
};
