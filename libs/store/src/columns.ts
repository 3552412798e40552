import { type ColumnType } from 'kysely';

/** A `bigint` column: pg answers strings, PGlite numbers or bigints; read it with `Number()`. */
export type BigIntColumn = ColumnType<string | number | bigint, number, number>;

/** A `jsonb` column: written as JSON text, read parsed. */
export type JsonColumn<T> = ColumnType<T, string, string>;
