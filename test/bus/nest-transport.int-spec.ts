import { Controller, Inject, type INestMicroservice, IntrinsicException } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { EventContext, JetStreamHandler, JetStreamServer } from '@runlog/bus';
import { type DeliveredEvent, familySubject, streamName } from '@runlog/contracts';
import { waitFor } from '@runlog/testing';
import { type Observable, of, throwError } from 'rxjs';
import { type BusFixture, Recorder, startBus, traceEvents } from './bus-fixtures';

const STREAM = streamName('trace');
/** Each handler binds its own durable to its own partition key, so no test sees another's events. */
const KEY = {
  ok: 'nest-ok',
  observable: 'nest-observable',
  promise: 'nest-promise',
  failing: 'nest-failing',
} as const;
type HandlerName = keyof typeof KEY;
const DURABLE: Record<HandlerName, string> = {
  ok: 'nest-ok',
  observable: 'nest-observable-error',
  promise: 'nest-promise-rejects',
  failing: 'nest-always-fails',
};
/** Quick retries; `maxDeliver` high enough that nothing is dead-lettered during a test. */
const RETRY = { backoff: { initialMs: 20, maxMs: 100 }, maxDeliver: 50 } as const;

/** A handler's failure; an IntrinsicException so that Nest's exception filter does not log each one. */
class HandlerFailure extends IntrinsicException {}

interface Delivery {
  readonly handler: HandlerName;
  readonly event: DeliveredEvent<'trace'>;
  readonly context: EventContext;
}

/** What the controller saw, injected so the test can await it. */
class Deliveries extends Recorder<Delivery> {
  of(handler: HandlerName): Delivery[] {
    return this.items.filter((d) => d.handler === handler);
  }
}

/**
 * Nest passes only the payload to an undecorated handler (its default parameter metadata),
 * so the context comes through `@Ctx()`.
 */
@Controller()
class TraceController {
  constructor(@Inject(Deliveries) private readonly deliveries: Deliveries) {}

  @JetStreamHandler({
    family: 'trace',
    durable: DURABLE.ok,
    filterSubject: familySubject('trace', KEY.ok),
  })
  handle(@Payload() event: DeliveredEvent<'trace'>, @Ctx() context: EventContext): void {
    this.deliveries.push({ handler: 'ok', event, context });
  }

  /** Fails its first delivery with an erroring Observable (`throwError`). */
  @JetStreamHandler({
    family: 'trace',
    durable: DURABLE.observable,
    filterSubject: familySubject('trace', KEY.observable),
    ...RETRY,
  })
  handleObservable(
    @Payload() event: DeliveredEvent<'trace'>,
    @Ctx() context: EventContext,
  ): Observable<void> {
    this.deliveries.push({ handler: 'observable', event, context });
    return context.deliveryCount === 1
      ? throwError(() => new HandlerFailure('transient failure (observable)'))
      : of(undefined);
  }

  /** Fails its first delivery with a rejected promise. */
  @JetStreamHandler({
    family: 'trace',
    durable: DURABLE.promise,
    filterSubject: familySubject('trace', KEY.promise),
    ...RETRY,
  })
  async handlePromise(
    @Payload() event: DeliveredEvent<'trace'>,
    @Ctx() context: EventContext,
  ): Promise<void> {
    this.deliveries.push({ handler: 'promise', event, context });
    if (context.deliveryCount === 1) throw new HandlerFailure('transient failure (promise)');
  }

  /** Always fails: its message must stay unacked. */
  @JetStreamHandler({
    family: 'trace',
    durable: DURABLE.failing,
    filterSubject: familySubject('trace', KEY.failing),
    ...RETRY,
  })
  handleFailing(
    @Payload() event: DeliveredEvent<'trace'>,
    @Ctx() context: EventContext,
  ): Observable<void> {
    this.deliveries.push({ handler: 'failing', event, context });
    return throwError(() => new HandlerFailure('permanent failure'));
  }
}

describe('NestJS JetStream transport (JetStreamServer + @JetStreamHandler)', () => {
  let fx: BusFixture;
  let app: INestMicroservice | undefined;
  const deliveries = new Deliveries();

  beforeAll(async () => {
    fx = await startBus();
    const moduleRef = await Test.createTestingModule({
      controllers: [TraceController],
      providers: [{ provide: Deliveries, useValue: deliveries }],
    }).compile();
    app = moduleRef.createNestMicroservice({ strategy: new JetStreamServer(fx.bus) });
    await app.listen();
  });
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  }, 30_000);

  /** Publishes one trace event under the handler's key and answers the event and its cursor. */
  async function publishFor(handler: HandlerName) {
    const [event] = traceEvents(1, KEY[handler]);
    const { cursor, duplicate } = await fx.bus.publish(event!);
    expect(duplicate).toBe(false);
    return { event: event!, cursor };
  }

  /** Waits until the durable has acked through `cursor` with nothing left unacked. */
  function ackedThrough(handler: HandlerName, cursor: string) {
    return waitFor(
      `${DURABLE[handler]} to ack through ${cursor}`,
      async () => {
        const info = await fx.bus.manager.consumers.info(STREAM, DURABLE[handler]);
        return info.ack_floor.stream_seq >= Number(cursor) && info.num_ack_pending === 0
          ? info
          : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
  }

  it('binds one durable pull consumer per @JetStreamHandler', async () => {
    for (const handler of Object.keys(DURABLE) as HandlerName[]) {
      const info = await fx.bus.manager.consumers.info(STREAM, DURABLE[handler]);
      expect(info.config).toMatchObject({
        durable_name: DURABLE[handler],
        ack_policy: 'explicit',
        filter_subject: familySubject('trace', KEY[handler]),
      });
    }
  });

  it('delivers a typed event and its context to the handler, and acks on success', async () => {
    const { event, cursor } = await publishFor('ok');
    await deliveries.until((all) => all.some((d) => d.event.id === event.id), 'the delivery');

    const info = await ackedThrough('ok', cursor);
    expect(info.ack_floor.stream_seq).toBe(Number(cursor));
    expect(info.num_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);

    const seen = deliveries.of('ok');
    expect(seen).toHaveLength(1);
    const [{ event: delivered, context }] = seen as [Delivery];
    expect(delivered).toEqual({ ...event, cursor });
    expect(delivered.family).toBe('trace');
    expect(delivered.kind).toBe('op_start');
    expect(delivered.data).toMatchObject({ request_id: KEY.ok });
    expect(context).toBeInstanceOf(EventContext);
    expect(context).toMatchObject({
      cursor,
      stream: STREAM,
      subject: familySubject('trace', KEY.ok),
      deliveryCount: 1,
      consumer: DURABLE.ok,
      redriven: false,
    });
    expect(context.headers?.get('Nats-Msg-Id')).toBe(event.id);
  });

  it.each([
    ['an Observable that errors (throwError)', 'observable'],
    ['a rejected promise', 'promise'],
  ] as const)(
    'redelivers when the handler returns %s, without acking the failed delivery',
    async (_, handler) => {
      const { event, cursor } = await publishFor(handler);
      await deliveries.until(
        () => deliveries.of(handler).some((d) => d.context.deliveryCount === 2),
        `the redelivery to ${handler}`,
      );

      const info = await ackedThrough(handler, cursor);
      expect(info.ack_floor.stream_seq).toBe(Number(cursor));
      expect(info.num_redelivered).toBe(0); // settled now: nothing waiting for redelivery
      const seen = deliveries.of(handler);
      expect(seen.map((d) => [d.event.id, d.event.cursor, d.context.deliveryCount])).toEqual([
        [event.id, cursor, 1],
        [event.id, cursor, 2],
      ]);
    },
  );

  it('never acks a delivery whose handler keeps failing', async () => {
    const { cursor } = await publishFor('failing');
    await deliveries.until(
      () => deliveries.of('failing').some((d) => d.context.deliveryCount >= 3),
      'three failed deliveries',
    );
    const info = await fx.bus.manager.consumers.info(STREAM, DURABLE.failing);
    expect(info.ack_floor.stream_seq).toBeLessThan(Number(cursor));
    expect(info.num_ack_pending).toBe(1);
    expect(info.delivered.stream_seq).toBe(Number(cursor));
    expect(deliveries.of('failing').every((d) => d.event.cursor === cursor)).toBe(true);
  });
});
