/**
 * The logger the framework-free bus core writes to: four levels of plain messages. The
 * NestJS adapter (`nest/nest-bus-logger.ts`) routes them to NestJS's `Logger`; the
 * default writes to stderr.
 */
export interface BusLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Makes the logger of one part of the bus (`Bus`, `Consumer <durable>`). */
export type BusLoggerFactory = (context: string) => BusLogger;

/** Discards everything. */
export const NOOP_BUS_LOGGER: BusLoggerFactory = () => ({
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** Writes `[context] message` to stderr (stdout stays the program's); debug is dropped. */
export const CONSOLE_BUS_LOGGER: BusLoggerFactory = (context) => ({
  debug: () => undefined,
  log: (message) => console.error(`[${context}] ${message}`),
  warn: (message) => console.warn(`[${context}] ${message}`),
  error: (message) => console.error(`[${context}] ${message}`),
});
