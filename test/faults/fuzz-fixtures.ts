// The four services in one process on a NATS server of their own (their durables have
// fixed names), and the fuzzer's three doors into them: POST /v1/events, a JetStream
// publish to `ingest.<family>.<key>`, and a publish straight to a family stream.
import { Logger } from '@nestjs/common';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { Bus, type DeadLetter } from '@runlog/bus';
import {
  DURABLES,
  type Family,
  INGEST_STREAM,
  type RunlogEvent,
  streamName,
} from '@runlog/contracts';
import { consumerBacklog } from '@runlog/platform';
import { uniqueName, waitFor } from '@runlog/testing';
import { type ServiceName, startAllServices } from '../services/all-services';

Logger.overrideLogger(['error']);

const utf8 = new TextEncoder();

export interface HttpAnswer {
  readonly status: number;
  /** The parsed body, or the text when it is not JSON. */
  readonly body: unknown;
}

/** Which durable reads each family a runlog service consumes, and from which stream. */
export const CONSUMED: Partial<Record<Family, { durable: string; stream: string }>> = {
  trace: { durable: DURABLES.traceStore, stream: streamName('trace') },
  lease_history: { durable: DURABLES.leaseHistory, stream: streamName('lease_history') },
  completion: { durable: DURABLES.leaseHistory, stream: streamName('completion') },
  agent: { durable: DURABLES.normalizer, stream: streamName('agent') },
};

export interface FuzzFixture {
  readonly bus: Bus;
  readonly urls: { readonly ingest: string; readonly traces: string; readonly leases: string };
  /** Every message on `live.engine.>` since the start, by CloudEvents id. */
  readonly liveEngineIds: ReadonlySet<string>;
  post(text: string): Promise<HttpAnswer>;
  get(url: string): Promise<HttpAnswer>;
  /** Async ingress: a JetStream publish to `ingest.<family>.<key>`. */
  publishIngress(subject: string, text: string, msgId: string): Promise<void>;
  /** Bypasses ingest: a JetStream publish to `events.<family>.<key>`; answers the cursor. */
  publishDirect(subject: string, text: string, msgId: string): Promise<string>;
  /** Resolves when ingest and the three consumers have nothing pending or in flight. */
  settled(timeoutMs: number): Promise<void>;
  /** Every dead letter of a durable, oldest first. */
  deadLetters(durable: string): Promise<DeadLetter[]>;
  /** The CloudEvents ids stored in a family stream. */
  storedIds(family: Family): Promise<Set<string>>;
  /** Every canonical event the normalizer wrote, and the cursors of those that do not decode. */
  canonical(): Promise<{ events: RunlogEvent<'canonical'>[]; undecodable: string[] }>;
  close(): Promise<void>;
}

export async function startFuzzFixture(): Promise<FuzzFixture> {
  const all = await startAllServices({ NORMALIZER_DURABILITY: 'full_fidelity' });
  let bus: Bus | undefined;
  let live: NatsConnection | undefined;
  const close = async () => {
    await bus?.close().catch(() => undefined);
    await all.close();
  };
  try {
    const url = (name: ServiceName) => all.url(name);
    bus = await Bus.connect({
      servers: [all.nats.url],
      name: uniqueName('fuzz'),
      streams: { replicas: 1, maxAgeMs: {} },
    });
    live = bus.connection;
    const liveEngineIds = new Set<string>();
    live.subscribe('live.engine.>', {
      callback: (error, message) => {
        if (error) return;
        try {
          const id = (message.json<Record<string, unknown>>() ?? {})['id'];
          if (typeof id === 'string') liveEngineIds.add(id);
        } catch {
          // not JSON: not an event
        }
      },
    });
    await live.flush();
    const b = bus;
    const request = async (target: string, init?: RequestInit): Promise<HttpAnswer> => {
      const response = await fetch(target, { ...init, signal: AbortSignal.timeout(20_000) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      return { status: response.status, body };
    };
    const ingestUrl = url('ingest');
    return {
      bus: b,
      urls: { ingest: ingestUrl, traces: url('trace-store'), leases: url('lease-history') },
      liveEngineIds,
      post: (text) =>
        request(`${ingestUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        }),
      get: (target) => request(target),
      publishIngress: async (subject, text, msgId) => {
        await b.js.publish(subject, utf8.encode(text), { msgID: msgId });
      },
      publishDirect: async (subject, text, msgId) => {
        const headers = natsHeaders();
        const ack = await b.js.publish(subject, utf8.encode(text), { msgID: msgId, headers });
        return String(ack.seq);
      },
      settled: async (timeoutMs) => {
        const durables: Array<[string, string]> = [
          [INGEST_STREAM, DURABLES.ingest],
          ...Object.values(CONSUMED).map((c): [string, string] => [c.stream, c.durable]),
        ];
        let last = '';
        await waitFor(
          'ingest, normalizer, lease-history and trace-store with nothing pending or in flight',
          async () => {
            for (const [stream, durable] of durables) {
              const backlog = await consumerBacklog(b, stream, durable);
              if (backlog.pending + backlog.inFlight > 0) {
                last = `${durable} on ${stream}: ${JSON.stringify(backlog)}`;
                return undefined;
              }
            }
            const agent = await b.manager.streams.info(streamName('agent'));
            if (agent.state.messages > 0) {
              last = `${agent.state.messages} raw agent events left`;
              return undefined;
            }
            return true;
          },
          { timeoutMs, intervalMs: 100 },
        ).catch((error: unknown) => {
          throw new Error(`${String(error)} (last seen: ${last})`);
        });
      },
      deadLetters: async (durable) => {
        const all: DeadLetter[] = [];
        for (;;) {
          const after = all.length > 0 ? all[all.length - 1]!.deadLetterSeq : undefined;
          const page = await b.deadLetters.list(durable, {
            limit: 500,
            ...(after === undefined ? {} : { after }),
          });
          all.push(...page);
          if (page.length < 500) return all;
        }
      },
      storedIds: async (family) => {
        const ids = new Set<string>();
        const abort = new AbortController();
        for await (const item of b.subscribe(family, { signal: abort.signal })) {
          if (item.type === 'caught_up') abort.abort();
          else if (item.type === 'event') ids.add(item.event.id);
        }
        return ids;
      },
      canonical: async () => {
        const events: RunlogEvent<'canonical'>[] = [];
        const undecodable: string[] = [];
        const abort = new AbortController();
        for await (const item of b.subscribe('canonical', { signal: abort.signal })) {
          if (item.type === 'caught_up') abort.abort();
          else if (item.type === 'event') events.push(item.event);
          else if (item.type === 'undecodable')
            undecodable.push(`${item.cursor}: ${JSON.stringify(item.errors).slice(0, 300)}`);
        }
        return { events, undecodable };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
