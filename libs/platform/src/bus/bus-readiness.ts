import { type Bus } from '@runlog/bus';
import { type ReadinessCheck } from '../health/readiness';
import { type Backlog } from '../metrics/backlog-gauge';

const PING_TIMEOUT_MS = 2_000;

/** Ready when the NATS connection is open and answers a round trip. */
export function natsReadiness(bus: Bus): ReadinessCheck {
  return {
    name: 'nats',
    check: async () => {
      const nc = bus.connection;
      if (nc.isClosed() || nc.isDraining()) throw new Error('the NATS connection is closed');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          nc.flush(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer from NATS in ${PING_TIMEOUT_MS} ms`)),
              PING_TIMEOUT_MS,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      return { server: nc.getServer() };
    },
  };
}

/** Ready when each stream exists (the service's inputs and outputs). */
export function streamsReadiness(bus: Bus, streams: readonly string[]): ReadinessCheck {
  return {
    name: 'streams',
    check: async () => {
      const found: Record<string, number> = {};
      for (const stream of streams) {
        const info = await bus.manager.streams.info(stream);
        found[stream] = info.state.messages;
      }
      return { messages: found };
    },
  };
}

/** A durable's backlog: not yet delivered (`pending`, its lag) and delivered but unacked. */
export async function consumerBacklog(bus: Bus, stream: string, durable: string): Promise<Backlog> {
  const info = await bus.manager.consumers.info(stream, durable);
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
