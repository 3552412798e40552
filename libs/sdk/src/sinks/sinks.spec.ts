import { events } from '../events/builders';
import { InMemoryEventSink } from './in-memory-event-sink';
import { NoopEventSink } from './noop-event-sink';

const tag = (execution_id: string) =>
  events.instanceTags.attached({ execution_id, tag: 'x', at: '2026-11-23T10:00:00Z' });

describe('InMemoryEventSink', () => {
  it('keeps typed, stamped events; reports invalid ones; closes', async () => {
    const sink = new InMemoryEventSink({ source: 'svc/a' });
    sink.emit(tag('e-1'));
    sink.emit(tag(''));
    sink.emit({ ...tag('e-2'), source: 'svc/b' });
    expect(
      sink.snapshot().map((e) => [e.family, e.kind, e.source, e.sourceseq, e.subject]),
    ).toEqual([
      ['instance_tags', 'attached', 'svc/a', 1, 'e-1'],
      ['instance_tags', 'attached', 'svc/b', 1, 'e-2'],
    ]);
    expect(sink.dropped()).toEqual([
      expect.objectContaining({
        reason: 'invalid',
        errors: [expect.objectContaining({ path: 'data.execution_id', code: 'blank' })],
      }),
    ]);
    expect(sink.stats()).toMatchObject({ emitted: 2, published: 2, dropped: { invalid: 1 } });
    expect(await sink.flush()).toEqual({ ok: true });
    await sink.close();
    sink.emit(tag('e-3'));
    expect(sink.dropped().at(-1)?.reason).toBe('closed');
    sink.clear();
    expect(sink.snapshot()).toEqual([]);
  });
});

describe('InMemoryEventSink: CloudEvents extensions', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('sends extensions as attributes and keeps them on the event', () => {
    const sink = new InMemoryEventSink({ source: 'svc/a' });
    sink.emit({ ...tag('e-1'), extensions: { tenant: 'acme', shard: 3, traceparent } });
    expect(sink.snapshot()[0]?.extensions).toEqual({ tenant: 'acme', shard: 3, traceparent });
  });

  it('refuses an extension that names an envelope attribute, or breaks the rules', () => {
    const sink = new InMemoryEventSink({ source: 'svc/a' });
    sink.emit({ ...tag('e-1'), extensions: { subject: 'e-2' } });
    sink.emit({ ...tag('e-1'), extensions: { shard: 1.5 } });
    expect(sink.snapshot()).toEqual([]);
    expect(sink.dropped().map((d) => d.errors.map(({ path, code }) => ({ path, code })))).toEqual([
      [{ path: 'extensions.subject', code: 'invalid_value' }],
      [{ path: 'shard', code: 'invalid_type' }],
    ]);
  });
});

describe('NoopEventSink', () => {
  it('discards events and only counts them', async () => {
    const sink = new NoopEventSink();
    sink.emit(tag('e-1'));
    expect(sink.stats()).toMatchObject({ emitted: 1, published: 0, buffered: 0, connected: false });
    expect(await sink.close()).toEqual({ ok: true });
  });
});
