import { Logger } from '@nestjs/common';
import { Bus } from '@runlog/bus';
import {
  decode,
  exampleEvent,
  type Family,
  type KindOf,
  type RunlogEvent,
} from '@runlog/contracts';
import { startNats, type NatsServerHandle, uniqueName } from '@runlog/testing';

// Keep test output to what matters: the bus logs retries and dead letters as warnings.
Logger.overrideLogger(['error', 'warn']);

/** A dedicated NATS server and a connected, provisioned bus (family stream names are fixed, so a server each). */
export interface BusFixture {
  readonly server: NatsServerHandle;
  readonly bus: Bus;
  /** Another bus on the same server (a second replica). */
  connect(): Promise<Bus>;
  close(): Promise<void>;
}

export async function startBus(): Promise<BusFixture> {
  const server = await startNats({ dedicated: true });
  const buses: Bus[] = [];
  const connect = async (): Promise<Bus> => {
    const bus = await Bus.connect({
      servers: [server.url],
      name: uniqueName('bus'),
      streams: { replicas: 1, maxAgeMs: {} },
    });
    buses.push(bus);
    return bus;
  };
  const bus = await connect();
  return {
    server,
    bus,
    connect,
    close: async () => {
      await Promise.all(buses.map((b) => b.close().catch(() => undefined)));
      await server.stop();
    },
  };
}

/** A valid typed event of a kind with a unique id (and optional key). */
export function typedEvent<F extends Family>(
  family: F,
  kind: KindOf<F>,
  id = uniqueName('ev'),
  data: Record<string, unknown> = {},
): RunlogEvent<F> {
  const base = exampleEvent(family, kind);
  const envelope = { ...base, id, subject: undefined, data: { ...(base.data as object), ...data } };
  delete (envelope as { subject?: string }).subject;
  const result = decode(envelope);
  if (!result.ok) throw new Error(`bad fixture: ${JSON.stringify(result.errors)}`);
  return result.value as RunlogEvent<F>;
}

/** `n` trace events for one request, `seq` 0..n-1. */
export function traceEvents(n: number, requestId = 'req-1'): RunlogEvent<'trace'>[] {
  return Array.from({ length: n }, (_, seq) =>
    typedEvent('trace', 'op_start', `${requestId}-${seq}-${uniqueName('e')}`, {
      request_id: requestId,
      seq,
    }),
  );
}

/** Collects values and resolves waiters when a condition holds: await the event, never sleep. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once `condition(items)` holds; fails after `timeoutMs`. */
  until(
    condition: (items: readonly T[]) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<void> {
    if (condition(this.items)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; have ${this.items.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        check: () => condition(this.items),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(n: number, timeoutMs?: number): Promise<void> {
    return this.until((items) => items.length >= n, `${n} items`, timeoutMs);
  }
}
