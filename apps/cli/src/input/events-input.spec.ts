import { decodeBatch, exampleEvent } from '@runlog/contracts';
import { describeRejected, parseEvents } from './events-input';

const event = (id: string, data: Record<string, unknown> = {}) => {
  const base = exampleEvent('engine', 'request_served');
  return { ...base, id, data: { ...(base.data as object), ...data } };
};

describe('parseEvents', () => {
  it('reads a JSON array, one JSON object, or one event per line', () => {
    const [a, b] = [event('a'), event('b')];
    expect(parseEvents(JSON.stringify([a, b]))).toEqual({ ok: true, value: [a, b] });
    expect(parseEvents(JSON.stringify(a, null, 2))).toEqual({ ok: true, value: [a] });
    expect(parseEvents(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}\r\n`)).toEqual({
      ok: true,
      value: [a, b],
    });
  });

  it('names each NDJSON line that is not JSON, and refuses an empty input', () => {
    const result = parseEvents(
      `${JSON.stringify(event('a'))}\n{oops\n${JSON.stringify(event('b'))}\nnope`,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(2);
      expect(result.errors[0]).toMatch(/^line 2: not JSON/);
      expect(result.errors[1]).toMatch(/^line 4: not JSON/);
    }
    expect(parseEvents('  \n')).toEqual({ ok: false, errors: ['the input holds no events'] });
    expect(parseEvents('[]')).toEqual({ ok: false, errors: ['the input is an empty array'] });
  });
});

describe('decodeBatch (as publish uses it)', () => {
  it('answers the typed events when every one is valid, filling in time', () => {
    const receivedAt = new Date('2026-11-23T09:00:00.000Z');
    const result = decodeBatch([event('a'), event('b')], { receivedAt });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.map((e) => [e.family, e.kind, e.id, e.subject])).toEqual([
        ['engine', 'request_served', 'a', 'qwen3-4b'],
        ['engine', 'request_served', 'b', 'qwen3-4b'],
      ]);
    }
  });

  it('rejects the batch with every error of every invalid event, by index and path', () => {
    const result = decodeBatch([
      event('a'),
      event('b', { status_code: 900 }),
      { specversion: '1.0', source: 's', type: 'runlog.nope.x', data: {} },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((r) => [r.index, r.id, r.errors.map((e) => e.path)])).toEqual([
      [1, 'b', ['data.status_code']],
      [2, null, ['id', 'type']],
    ]);
    expect(describeRejected(result.errors)).toEqual([
      'event 1 (b): data.status_code: must not be greater than 599',
      'event 2: id: is required',
      'event 2: type: names an unknown family: "runlog.nope.x"',
    ]);
  });

  it('rejects an event too large for one NATS message', () => {
    const result = decodeBatch([event('a')], { maxEventBytes: 100 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.errors[0]?.code).toBe('too_large');
  });
});
