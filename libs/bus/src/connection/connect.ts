import {
  connect,
  type ConnectionOptions,
  credsAuthenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { type BusCredentials, type BusOptions } from '../bus-options';
import { type BusLogger, CONSOLE_BUS_LOGGER } from '../logging/bus-logger';

async function credentialOptions(
  credentials: BusCredentials | undefined,
): Promise<Partial<ConnectionOptions>> {
  if (!credentials) return {};
  if ('credsFile' in credentials) {
    return { authenticator: credsAuthenticator(await readFile(credentials.credsFile)) };
  }
  if ('token' in credentials) return { token: credentials.token };
  return { user: credentials.user, pass: credentials.pass };
}

/**
 * Opens the NATS connection the bus owns: reconnects forever with jitter, logs every
 * status change, and skips the async stack capture per request (PERF.md).
 */
export async function connectNats(options: BusOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: [...options.servers],
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
    pingInterval: 10_000,
    noAsyncTraces: true,
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    ...(await credentialOptions(options.credentials)),
  });
  const logger = (options.logger ?? CONSOLE_BUS_LOGGER)('Bus');
  void logStatus(nc, logger);
  logger.log(`connected to ${nc.getServer()} as ${options.name}`);
  return nc;
}

async function logStatus(nc: NatsConnection, logger: BusLogger): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
      case 'reconnecting':
      case 'staleConnection':
      case 'slowConsumer':
        logger.warn(`NATS ${status.type}: ${JSON.stringify(status)}`);
        break;
      case 'error':
        logger.error(`NATS error: ${String(status.error)}`);
        break;
      case 'ping':
        break;
      default:
        logger.log(`NATS ${status.type}: ${JSON.stringify(status)}`);
    }
  }
}
