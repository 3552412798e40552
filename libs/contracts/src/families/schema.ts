import { type ValidationError } from '../validation-error';

/** How one kind's `data` is validated: its class, and whether extra fields are allowed. */
export interface KindSchema {
  /**
   * A rule across fields, run after the class (each field is checked alone there): the
   * errors it finds at `path` (`data`). It must ignore fields that are invalid on their own.
   */
  readonly check?: (data: Record<string, unknown>, path: string) => ValidationError[];
  readonly cls: new () => object;
  /** Extra, undeclared fields are kept instead of rejected (DESIGN.md: `group_start {name, ...}`). */
  readonly open?: boolean;
  /** A nested free-form slot validated by a kind-specific class (trace `payload`). */
  readonly payload?: KindSchema;
}

/** An instant: RFC 3339 string or epoch milliseconds (DESIGN.md §3, `at`). */
export type Instant = string | number;

/** A closed set of known values that also keeps any other non-blank string (DESIGN.md §3). */
export type OpenEnum<T extends string> = T | { readonly other: string };
