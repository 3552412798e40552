import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import {
  type LimitBounds,
  parseCount,
  parseCursor,
  parseInstant,
  parseLimit,
  parseText,
  type QueryValue,
} from './query-params';

/**
 * One query parameter, declared once: its OpenAPI description and its parser. A route's
 * parameters are a {@link QuerySpec}; `@ApiQueries(spec)` documents them and
 * `@Queries(spec)` hands the handler the parsed, typed values (or answers 400 naming the
 * parameter), so no parameter is written out three times (`@ApiQuery`, `@Query`, parse).
 */
export interface QueryParam<T> {
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly parse: (name: string, value: QueryValue) => T;
}

export type QuerySpec = Readonly<Record<string, QueryParam<unknown>>>;

/** The handler's view of a spec: each parameter's parsed value. */
export type QueryOf<S extends QuerySpec> = { readonly [K in keyof S]: ReturnType<S[K]['parse']> };

const described = (description?: string) => (description === undefined ? {} : { description });

/** Free text (an id, an owner, an opaque page token); one of `allowed` when given. */
export function textParam<T extends string = string>(
  description?: string,
  allowed?: readonly T[],
): QueryParam<T | undefined> {
  return {
    ...described(description),
    ...(allowed ? { enum: allowed } : {}),
    parse: (name, value) => parseText(name, value, allowed),
  };
}

/** A cursor (a stream sequence; 0, the start, when absent). */
export function cursorParam(description = 'Cursor: start after it'): QueryParam<number> {
  return { description, parse: parseCursor };
}

/** A page size: an integer from 1 to `bounds.max`, `bounds.fallback` when absent. */
export function limitParam(bounds?: LimitBounds): QueryParam<number> {
  const { fallback, max } = bounds ?? { fallback: 100, max: 1_000 };
  return {
    description: `1..${max}, default ${fallback}`,
    parse: (_, value) => parseLimit(value, bounds),
  };
}

/** An instant: RFC 3339 or epoch milliseconds, as epoch milliseconds. */
export function instantParam(description: string): QueryParam<number | undefined> {
  return { description, parse: parseInstant };
}

/** A non-negative integer. */
export function countParam(description: string): QueryParam<number | undefined> {
  return { description, parse: parseCount };
}

/** Documents each parameter of `spec` in the route's OpenAPI operation (all optional). */
export function ApiQueries(spec: QuerySpec): MethodDecorator {
  return applyDecorators(
    ...Object.entries(spec).map(([name, param]) =>
      ApiQuery({
        name,
        required: false,
        ...described(param.description),
        ...(param.enum ? { enum: [...param.enum] } : {}),
      }),
    ),
  );
}

/** Parses `spec` from the request's query string, in declaration order (the first bad one answers 400). */
export function parseQuery<S extends QuerySpec>(
  spec: S,
  query: Readonly<Record<string, QueryValue>>,
): QueryOf<S> {
  const parsed: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(spec)) parsed[name] = param.parse(name, query[name]);
  return parsed as QueryOf<S>;
}

/** The parameter decorator of a spec: `@Queries(SPEC) query: QueryOf<typeof SPEC>`. */
export const Queries = createParamDecorator((spec: QuerySpec, context: ExecutionContext) =>
  parseQuery(
    spec,
    context.switchToHttp().getRequest<{ query?: Record<string, QueryValue> }>().query ?? {},
  ),
);
