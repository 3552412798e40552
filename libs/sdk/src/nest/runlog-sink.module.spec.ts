import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { events } from '../events/builders';
import { InMemoryEventSink } from '../sinks/in-memory-event-sink';
import { NoopEventSink } from '../sinks/noop-event-sink';
import { type EventSink } from '../types';
import { EVENT_SINK, InjectEventSink, RunlogSinkModule } from './runlog-sink.module';

@Injectable()
class Producer {
  constructor(@InjectEventSink() readonly sink: EventSink) {}
}

describe('RunlogSinkModule', () => {
  it('provides the no-op sink when nothing is configured', async () => {
    const app = await Test.createTestingModule({
      imports: [RunlogSinkModule.forRoot()],
      providers: [Producer],
    })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    expect(app.get(Producer).sink).toBeInstanceOf(NoopEventSink);
    await app.close();
  });

  it('provides a given sink (forRootAsync) and leaves closing it to its owner', async () => {
    const given = new InMemoryEventSink({ source: 'svc/a' });
    const close = jest.spyOn(given, 'close');
    const app = await Test.createTestingModule({
      imports: [RunlogSinkModule.forRootAsync({ useFactory: async () => ({ sink: given }) })],
      providers: [Producer],
    }).compile();
    const sink = app.get<EventSink>(EVENT_SINK);
    expect(sink).toBe(given);
    sink.emit(events.completion.completed({ execution_id: 'e', outcome: 'success', at: 0 }));
    expect(given.snapshot()).toHaveLength(1);
    await app.close();
    expect(close).not.toHaveBeenCalled();
  });

  it('closes a sink it built when the application shuts down', async () => {
    const app = await Test.createTestingModule({
      imports: [
        RunlogSinkModule.forRoot({
          http: { url: 'http://127.0.0.1:9', source: 'svc/a', backoff: { initialMs: 1, maxMs: 2 } },
          closeTimeoutMs: 50,
        }),
      ],
    })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    const sink = app.get<EventSink>(EVENT_SINK);
    const close = jest.spyOn(sink, 'close');
    await app.close();
    expect(close).toHaveBeenCalledWith(50);
    expect(sink.stats()).toMatchObject({ buffered: 0 });
  });
});
