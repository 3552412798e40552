import { type Bus } from '@runlog/bus';
import { type ReadinessCheck } from '../health/readiness';
import { type Backlog } from '../metrics/backlog-gauge';

const PING_TIMEOUT_MS = 2_000;

/** Ready when the NATS connection is open and answers a round trip. */
export function natsReadiness(bus: Bus): ReadinessCheck {
  return { name: 'nats', check: () => bus.ping(PING_TIMEOUT_MS) };
}

/** Ready when each stream exists (the service's inputs and outputs). */
export function streamsReadiness(bus: Bus, streams: readonly string[]): ReadinessCheck {
  return {
    name: 'streams',
    check: async () => {
      const found: Record<string, number> = {};
      for (const stream of streams) {
        const info = await bus.streamInfo(stream);
        if (info === undefined) throw new Error(`stream ${stream} does not exist`);
        found[stream] = info.state.messages;
      }
      return { messages: found };
    },
  };
}

/** A durable's backlog: not yet delivered (`pending`, its lag) and delivered but unacked. */
export async function consumerBacklog(bus: Bus, stream: string, durable: string): Promise<Backlog> {
  const info = await bus.consumerInfo(stream, durable);
  if (info === undefined) throw new Error(`consumer ${durable} on ${stream} does not exist`);
  return { pending: info.num_pending, inFlight: info.num_ack_pending };
}

/**
 * Ready when the durable consumer exists on its stream (created by the service at start),
 * with its backlog as details.
 */
export function consumerReadiness(bus: Bus, stream: string, durable: string): ReadinessCheck {
  return {
    name: `consumer ${durable}`,
    check: async () => ({ stream, ...(await consumerBacklog(bus, stream, durable)) }),
  };
}
