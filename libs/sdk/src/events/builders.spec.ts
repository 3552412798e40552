import { KINDS } from '@runlog/contracts';
import { InMemoryEventSink } from '../sinks/in-memory-event-sink';
import { build, events, PRODUCER_FAMILIES } from './builders';
import { type AnyEventInput } from './event-input';

describe('typed builders', () => {
  it('has one builder per kind of every producer family, named in camelCase', () => {
    expect(PRODUCER_FAMILIES).not.toContain('canonical');
    expect(PRODUCER_FAMILIES).not.toContain('producer');
    const names = Object.entries(events).flatMap(([family, builders]) =>
      Object.keys(builders as object).map((kind) => `${family}.${kind}`),
    );
    const expected = PRODUCER_FAMILIES.flatMap((family) =>
      KINDS[family].map((kind) =>
        `${family}.${kind}`.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      ),
    );
    expect(names).toEqual(expected);
    expect(names).toContain('leaseHistory.acquired');
    expect(names).toContain('agent.toolCallDone');
  });

  it('builds the event a sink takes, with the options given', () => {
    const event = events.trace.opStart(
      {
        event_id: 'e-1',
        request_id: 'r-1',
        op_name: 'plan',
        ctx: ['main'],
        timestamp: Date.now(),
        seq: 0,
        payload: { inputs: { goal: 'x' } },
      },
      { id: 'id-1', source: 'svc/a' },
    );
    expect(event).toMatchObject({ type: 'runlog.trace.op_start', id: 'id-1', source: 'svc/a' });
    expect(
      build('completion', 'completed', { execution_id: 'x', outcome: 'timed_out', at: 0 }),
    ).toEqual({
      type: 'runlog.completion.completed',
      data: { execution_id: 'x', outcome: 'timed_out', at: 0 },
    });
  });

  it('keeps content out of engine events at compile time and at run time', () => {
    const data = { route: '/r', model: 'm', provider: 'p', latency_ms: 1, status_code: 200 };
    const smuggled = events.engine.requestServed({
      ...data,
      // @ts-expect-error: an engine event has no `prompt` (DESIGN.md §3, confidentiality)
      prompt: 'secret',
    });
    const direct: AnyEventInput = {
      type: 'runlog.engine.request_served',
      // @ts-expect-error: nor may `emit` take one directly
      data: { ...data, messages: [] },
    };
    const sink = new InMemoryEventSink({ source: 'svc/a' });
    sink.emit(smuggled);
    sink.emit(direct);
    sink.emit(events.engine.requestServed(data));
    expect(sink.snapshot()).toHaveLength(1);
    expect(sink.dropped().map((d) => d.errors.map((e) => e.code))).toEqual([
      ['confidentiality_violation'],
      ['confidentiality_violation'],
    ]);
  });

  it('drops an engine event that smuggles content in a value, naming the field', () => {
    const data = {
      route: '/v1/chat/completions',
      model: 'meta-llama/Llama-3.1-8B',
      provider: 'openai',
      latency_ms: 1,
      status_code: 200,
    };
    const sink = new InMemoryEventSink({ source: 'engine/llama@host-1' });
    sink.emit(events.engine.requestServed({ ...data, route: '/v1/chat?prompt=my secret' }));
    sink.emit(
      events.engine.engineError(
        { kind: 'parse error near: "Sure! here is the password"' },
        { subject: 'llama' },
      ),
    );
    sink.emit(events.engine.requestServed(data, { source: 'engine/llama?prompt=hi' }));
    sink.emit(events.engine.engineError({ kind: 'timeout', model: 'llama-3.1-8b-instruct' }));
    sink.emit(events.engine.requestServed(data));
    expect(sink.snapshot().map((event) => event.kind)).toEqual(['engine_error', 'request_served']);
    const dropped = sink.dropped().map((d) => d.errors.map(({ path, code }) => ({ path, code })));
    expect(dropped).toEqual([
      [{ path: 'data.route', code: 'confidentiality_violation' }],
      [{ path: 'data.kind', code: 'confidentiality_violation' }],
      [{ path: 'source', code: 'confidentiality_violation' }],
    ]);
    const messages = sink.dropped().flatMap((d) => d.errors.map((e) => e.message));
    for (const message of messages) expect(message).not.toMatch(/secret|password|prompt=hi/);
  });
});
