import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import {
  encode,
  liveAgentSubject,
  liveEngineSubject,
  type RunlogEvent,
  traceContextHeaders,
} from '@runlog/contracts';

/**
 * The `live.*` subject of an event (DESIGN.md §3): engine lifecycle kinds by model, raw
 * agent events by thread and run. Other families have no live subject.
 */
export function liveSubject(event: RunlogEvent): string {
  if (event.family === 'engine') return liveEngineSubject(event.subject);
  if (event.family === 'agent') return liveAgentSubject(event.data.thread_id, event.data.run_id);
  throw new Error(`no live subject for ${event.family} events`);
}

/**
 * Publishes an event on core NATS, at most once and never stored, as its JSON envelope,
 * with the Distributed Tracing extension as headers when it has one (DESIGN.md §2).
 * Throws when the connection refuses it (closed, too large).
 */
export function publishLive(nc: NatsConnection, event: RunlogEvent): void {
  const tracing = traceContextHeaders(event.extensions);
  let headers: MsgHdrs | undefined;
  if (tracing.length > 0) {
    headers = natsHeaders();
    for (const [name, value] of tracing) headers.set(name, value);
  }
  nc.publish(liveSubject(event), JSON.stringify(encode(event)), headers ? { headers } : undefined);
}
