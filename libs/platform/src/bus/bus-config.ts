import { type BusOptions } from '@runlog/bus';
import { type RunlogConfig } from '../config/runlog-config';

/** The bus settings of DESIGN.md §6 for one service's connection (named for the server's monitoring). */
export function busOptionsFromConfig(config: RunlogConfig, service: string): BusOptions {
  return {
    servers: [...config.nats.servers],
    name: `runlog-${service}`,
    inboxPrefix: config.nats.inboxPrefix,
    ...(config.nats.credentials ? { credentials: config.nats.credentials } : {}),
    streams: { replicas: config.streams.replicas, maxAgeMs: config.streams.maxAgeMs },
  };
}
