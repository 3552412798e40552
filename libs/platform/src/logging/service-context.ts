import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which service a piece of work belongs to, for the log lines it writes.
 *
 * nestjs-pino keeps one root logger per process (the first module to build it wins), so a
 * `name` given to the module would label every service of `npm start` with the first
 * one's. Instead each service is created, started and listened inside
 * {@link runAsService}: its timers, consumer loops, NATS callbacks and HTTP requests all
 * inherit the name through async context, and the logger reads it per line.
 */
const current = new AsyncLocalStorage<string>();

/** Runs `fn` (and all the asynchronous work it starts) as the named service. */
export function runAsService<T>(service: string, fn: () => T): T {
  return current.run(service, fn);
}

/** The service whose work is running, if it was started through {@link runAsService}. */
export function currentService(): string | undefined {
  return current.getStore();
}
