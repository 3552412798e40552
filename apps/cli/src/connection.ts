import { Logger, type LoggerService } from '@nestjs/common';
import { Bus, type BusOptions, NEST_BUS_LOGGER } from '@runlog/bus';
import { busOptionsFromConfig, ConfigurationError, loadConfig } from '@runlog/platform';
import { CliError, usageError } from './cli-error';
import { note } from './output';

/** Options every command sees (`runlog --nats <url> <command>`). */
export interface GlobalOptions {
  /** NATS URL(s), comma-separated; absent: `NATS_URL`, else nats://127.0.0.1:4222. */
  readonly nats?: string;
}

/**
 * The variables of DESIGN.md §6 the CLI reads: where NATS is, its credentials, and the
 * stream settings `--provision` applies. Only these are checked, so a service variable
 * set to something the CLI does not care about cannot stop it.
 */
const CLI_VARIABLE =
  /^(NATS_(URL|CREDS|USER|PASS|TOKEN)|RUNLOG_STREAM_REPLICAS|RUNLOG_\w+_MAX_AGE)$/;

/** Nest's logger writes to stdout; the CLI keeps stdout for results and says only what matters. */
class StderrLogger implements LoggerService {
  log(): void {}
  warn(message: unknown, ...context: unknown[]): void {
    this.write('warning', message, context);
  }
  error(message: unknown, ...context: unknown[]): void {
    this.write('error', message, context);
  }
  private write(level: string, message: unknown, context: readonly unknown[]): void {
    const where = context.at(-1);
    note(`runlog: ${level}${typeof where === 'string' ? ` [${where}]` : ''}: ${String(message)}`);
  }
}

/**
 * Connects the bus as `runlog-cli`, runs `use`, and always closes the connection.
 * Streams are provisioned only when asked (the services own their configuration).
 */
export async function withBus<T>(
  globals: GlobalOptions,
  use: (bus: Bus) => Promise<T>,
  { provision = false }: { provision?: boolean } = {},
): Promise<T> {
  Logger.overrideLogger(new StderrLogger());
  const options = busOptions(globals);
  let bus: Bus;
  try {
    bus = await Bus.connect({ ...options, logger: NEST_BUS_LOGGER }, { provision: false });
  } catch (error) {
    throw new CliError(
      `cannot connect to NATS at ${options.servers.join(',')}: ${messageOf(error)}`,
    );
  }
  try {
    if (provision) await bus.provision();
    return await use(bus);
  } finally {
    await bus.close();
  }
}

function busOptions(globals: GlobalOptions): BusOptions {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => CLI_VARIABLE.test(name)),
  );
  if (globals.nats !== undefined) env.NATS_URL = globals.nats;
  try {
    return busOptionsFromConfig(loadConfig(env), 'cli');
  } catch (error) {
    if (error instanceof ConfigurationError) throw usageError(error.message);
    throw error;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
