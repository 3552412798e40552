import { ALL_KINDS, exampleData } from '../examples';
import { type KindOf } from '../families';
import { schemaOf } from '../families/schemas';
import { conformsToDeclarations } from './compiled-shape';
import { explainShape, isPlainObject, validateShape } from './validate-shape';

// The compiled validator is only a fast path: validateShape must answer exactly what
// class-validator (explainShape) answers, for valid data and for every kind of mistake.

/** Values that break some rule of some field: types, blanks, bounds, dates, shapes. */
const REPLACEMENTS: readonly unknown[] = [
  null,
  '',
  ' \t',
  'x',
  '42',
  0,
  -1,
  1.5,
  599,
  600,
  2 ** 53,
  8.64e15,
  8.64e15 + 1,
  true,
  [],
  ['a'],
  [1],
  [{}],
  {},
  { x: 1 },
  '2026-11-23T10:00:00Z',
  '2026-02-30T10:00:00Z',
  '2026-11-23T24:00:00Z',
  '2026-11-23',
  'ok',
  'error',
];

/** Every property path of a JSON value, objects and array items alike. */
function paths(value: unknown, at: readonly (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => [[...at, index], ...paths(item, [...at, index])]);
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...at, key],
    ...paths(child, [...at, key]),
  ]);
}

function edited(
  value: unknown,
  path: readonly (string | number)[],
  edit: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  edit(parent, path[path.length - 1] as string | number);
  return copy;
}

/** The example of a kind, and many variations of it, each wrong in one place (or not). */
function variations(data: Record<string, unknown>): unknown[] {
  const out: unknown[] = [data, {}, { ...data, extra: 1 }, { ...data, constructor: 1 }];
  for (const path of paths(data)) {
    out.push(
      edited(data, path, (parent, key) => {
        delete parent[key];
      }),
    );
    for (const replacement of REPLACEMENTS)
      out.push(
        edited(data, path, (parent, key) => {
          parent[key] = structuredClone(replacement);
        }),
      );
    const target = path.reduce<unknown>(
      (node, key) => (node as Record<string | number, unknown>)[key],
      data,
    );
    if (isPlainObject(target)) {
      out.push(
        edited(data, path, (parent, key) => Object.assign(parent[key] as object, { zz: 1 })),
      );
      out.push(
        edited(data, path, (parent, key) => Object.assign(parent[key] as object, { valueOf: 1 })),
      );
    }
  }
  return out;
}

describe('the compiled fast path of validateShape', () => {
  it.each(ALL_KINDS.map(({ family, kind }) => [`${family}.${kind}`, family, kind] as const))(
    '%s: the example conforms without class-validator',
    (_, family, kind) => {
      const schema = schemaOf(family, kind);
      const data = exampleData(family, kind as KindOf<typeof family>);
      expect(conformsToDeclarations(schema, data)).toBe(true);
      expect(validateShape(data, schema, 'data')).toEqual([]);
    },
  );

  it.each(ALL_KINDS.map(({ family, kind }) => [`${family}.${kind}`, family, kind] as const))(
    '%s: answers what class-validator answers for every variation',
    (_, family, kind) => {
      const schema = schemaOf(family, kind);
      const all = variations(exampleData(family, kind as KindOf<typeof family>));
      let rejected = 0;
      for (const value of all) {
        const expected = explainShape(value, schema, 'data');
        if (expected.length > 0) rejected += 1;
        expect({ value, errors: validateShape(value, schema, 'data') }).toEqual({
          value,
          errors: expected,
        });
      }
      // The variations must exercise the rejecting side, or the comparison proves little.
      expect(rejected).toBeGreaterThan(all.length / 3);
    },
  );

  it('accepts what class-validator accepts only when every declared rule holds', () => {
    // A null optional field: class-validator's IsOptional skips it, JSON Schema's type
    // rejects it, and the slower path gives the answer. Both answers must agree.
    const schema = schemaOf('trace', 'op_start');
    const data = { ...exampleData('trace', 'op_start'), op_name: null };
    expect(conformsToDeclarations(schema, data)).toBe(false);
    expect(validateShape(data, schema, 'data')).toEqual(explainShape(data, schema, 'data'));
  });
});
