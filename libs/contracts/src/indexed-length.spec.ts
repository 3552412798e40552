import { decode } from './decode';
import { exampleEvent } from './examples';
import { type Family } from './families';
import { MAX_INDEXED_LENGTH } from './validation/fields';

// The identifiers a store indexes beside the event's key are bounded, so an accepted event
// always fits PostgreSQL's btree limit (a 300,000-character event_id was accepted by
// ingest, then parked by trace-store as poison: "index row size exceeds btree maximum").

/** An example event with one field of its data (or payload) replaced. */
function withField(family: Family, kind: string, path: string, value: unknown): unknown {
  const event = exampleEvent(family, kind as never) as unknown as { data: Record<string, unknown> };
  const [first, second] = path.split('.') as [string, string | undefined];
  if (second === undefined) event.data[first] = value;
  else (event.data[first] as Record<string, unknown>)[second] = value;
  return event;
}

const FIELDS: Array<[Family, string, string]> = [
  ['trace', 'op_start', 'event_id'],
  ['trace', 'op_start', 'op_name'],
  ['trace', 'group_start', 'op_name'],
  ['trace', 'llm_usage', 'payload.model'],
  ['lease_history', 'acquired', 'worker_instance_id'],
  ['lease_history', 'renewed', 'worker_instance_id'],
  ['lease_history', 'reclaimed', 'new_owner'],
];

describe(`identifiers a store indexes are at most ${MAX_INDEXED_LENGTH} characters`, () => {
  it.each(FIELDS)('%s.%s data.%s', (family, kind, path) => {
    // code points, not UTF-16 units: 400 emoji are 800 units and 1,600 bytes
    const longest = '😀'.repeat(MAX_INDEXED_LENGTH);
    expect(decode(withField(family, kind, path, longest)).ok).toBe(true);
    const result = decode(withField(family, kind, path, `${longest}x`));
    expect(result.ok ? [] : result.errors).toEqual([
      expect.objectContaining({ path: `data.${path}`, code: 'invalid_format' }),
    ]);
    expect(result.ok ? '' : result.errors[0]!.message).toContain(
      `at most ${MAX_INDEXED_LENGTH} characters`,
    );
  });
});
