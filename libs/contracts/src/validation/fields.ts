// class-transformer's @Type reads design-time metadata.
import 'reflect-metadata';
import {
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { type EngineValueRule } from '../engine-values';
import {
  IsDecimalCursor,
  IsEngineValue,
  IsJsonObject,
  IsNotBlank,
  IsPresent,
  IsStringArray,
  IsTimestamp,
} from './decorators';

// Field-level building blocks: each family class reads as its DESIGN.md line.

/** `IsDefined` with a message that reads like the others. */
const Required = (): PropertyDecorator => IsDefined({ message: '$property is required' });

function all(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** A required, non-blank string. */
export const Str = (): PropertyDecorator => all(Required(), IsString(), IsNotBlank());

/** An optional string; when present it must not be blank. */
export const OptStr = (): PropertyDecorator => all(IsOptional(), IsString(), IsNotBlank());

/**
 * The most characters (code points) of an identifier a store indexes beside the event's key:
 * `event_id` and `op_name` of a trace event, an LLM `model`, a lease owner. The key itself
 * fits a NATS subject (at most 1,011 bytes), so with 4 bytes a character an index entry
 * stays under PostgreSQL's btree limit (2,704 bytes): 1,011 + 4 × 400 = 2,611.
 */
export const MAX_INDEXED_LENGTH = 400;

const Short = (): PropertyDecorator =>
  MaxLength(MAX_INDEXED_LENGTH, {
    message: `$property must be at most ${MAX_INDEXED_LENGTH} characters (it is indexed)`,
  });

/** A required, non-blank identifier a store indexes: at most {@link MAX_INDEXED_LENGTH} characters. */
export const Id = (): PropertyDecorator => all(Str(), Short());

/** An optional identifier a store indexes; when present, non-blank and short. */
export const OptId = (): PropertyDecorator => all(OptStr(), Short());

/** A required string of an engine event that satisfies `rule` (no free text). */
export const EngineStr = (rule: EngineValueRule): PropertyDecorator =>
  all(Required(), IsString(), IsNotBlank(), IsEngineValue(rule));

/** An optional string of an engine event; when present it satisfies `rule`. */
export const OptEngineStr = (rule: EngineValueRule): PropertyDecorator =>
  all(IsOptional(), IsString(), IsNotBlank(), IsEngineValue(rule));

/**
 * The bounds of a numeric field, never wider than the safe integers: beyond ±(2^53 - 1) a
 * JSON number no longer names one integer (2^53 + 1 reads back as 2^53), so such a value
 * is refused with `out_of_range`. A wider declaration is a bug, caught at load time.
 */
function safeBounds(min: number, max: number): PropertyDecorator {
  if (!(min >= -Number.MAX_SAFE_INTEGER && max <= Number.MAX_SAFE_INTEGER && min <= max))
    throw new RangeError(`bounds [${min}, ${max}] are not within the safe integers`);
  return all(Min(min), Max(max));
}

/** A required integer in `[min, max]` (at most the safe integers). */
export const Int = (min: number, max = Number.MAX_SAFE_INTEGER): PropertyDecorator =>
  all(Required(), IsInt(), safeBounds(min, max));

/** An optional integer in `[min, max]` (at most the safe integers). */
export const OptInt = (min: number, max = Number.MAX_SAFE_INTEGER): PropertyDecorator =>
  all(IsOptional(), IsInt(), safeBounds(min, max));

/**
 * A required finite number in `[min, max]`; fractions are allowed (`latency_ms: 42.5`),
 * magnitudes beyond the safe integers are not, as for {@link Int}.
 */
export const Num = (min: number, max = Number.MAX_SAFE_INTEGER): PropertyDecorator =>
  all(Required(), IsNumber({ allowNaN: false, allowInfinity: false }), safeBounds(min, max));

/** A required string from a closed set. */
export const OneOf = (values: readonly string[]): PropertyDecorator =>
  all(Required(), IsString(), IsIn(values));

/** A required instant: RFC 3339 or epoch milliseconds. */
export const At = (): PropertyDecorator => all(Required(), IsTimestamp());

/** A required JSON object with free-form content. */
export const Obj = (): PropertyDecorator => all(Required(), IsJsonObject());

/** A required value of any JSON type (payload slots such as `inputs`). */
export const Any = (): PropertyDecorator => IsPresent();

/** A required cursor (decimal stream sequence). */
export const Cursor = (): PropertyDecorator => all(Required(), IsString(), IsDecimalCursor());

/** A required array of strings. */
export const Strings = (): PropertyDecorator => all(Required(), IsStringArray());

/** A required nested object validated by its own class. */
export const Nested = (cls: () => new () => object): PropertyDecorator =>
  all(Required(), IsJsonObject(), ValidateNested(), Type(cls));

/** An optional nested object validated by its own class. */
export const OptNested = (cls: () => new () => object): PropertyDecorator =>
  all(IsOptional(), IsJsonObject(), ValidateNested(), Type(cls));

/** A required array of nested objects, each validated by its class. */
export const NestedArray = (cls: () => new () => object): PropertyDecorator =>
  all(Required(), IsArray(), ValidateNested({ each: true }), Type(cls));
