// The child process of the "runlog NestJS transport" row (bench/transport.ts): a NestJS 12
// microservice on runlog's JetStreamServer with one trivial @JetStreamHandler (event mode,
// returns nothing = ack), over a family stream the parent has filled. Same command line and
// output as the peer (bench/peers/nestjs-jetstream/peer.js):
//
//   node --require ./bench/register-paths.js dist-bench/bench/transport-ours.js \
//     --url <nats url> --stream RUNLOG_TRACE --subject 'events.trace.>' --durable <name> \
//     --count <n> [--budget-ms <ms>]
//
// Timed from `app.listen()` until the bus has acked `count` messages (its `acked` metric)
// and the acks are flushed; prints {"messages","seconds","complete","cpuSeconds","durable"}
// on stdout (`cpuSeconds`: this process's user + system CPU over the same window).
import 'reflect-metadata';
import { Controller, Logger, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Bus,
  type EventContext,
  JetStreamHandler,
  JetStreamServer,
  NOOP_BUS_METRICS,
} from '../libs/bus/src';
import { type DeliveredEvent, type Family, FAMILIES, streamName } from '../libs/contracts/src';
import { within } from './setup';

interface Args {
  readonly url: string;
  readonly family: Family;
  readonly subject: string;
  readonly durable: string;
  readonly count: number;
  readonly budgetMs: number;
}

function option(name: string): string | undefined {
  const flag = `--${name}`;
  const at = process.argv.indexOf(flag);
  if (at !== -1) return process.argv[at + 1];
  return process.argv.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

function required(name: string): string {
  const value = option(name);
  if (value === undefined || value === '') throw new Error(`missing --${name}`);
  return value;
}

function positiveInteger(name: string, fallback?: number): number {
  const given = option(name);
  if (given === undefined && fallback !== undefined) return fallback;
  const value = Number(given);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer, not ${given}`);
  return value;
}

function parseArgs(): Args {
  const stream = required('stream');
  const family = FAMILIES.find((f) => streamName(f) === stream);
  if (!family) throw new Error(`--stream ${stream} is not a runlog family stream`);
  return {
    url: required('url'),
    family,
    subject: required('subject'),
    durable: required('durable'),
    count: positiveInteger('count'),
    budgetMs: positiveInteger('budget-ms', 60_000),
  };
}

/** Warnings and errors to stderr, nothing else: stdout carries the result line. */
class StderrLogger implements LoggerService {
  log(): void {}
  warn(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[ours] warn ${String(message)} ${rest.map(String).join(' ')}\n`);
  }
  error(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[ours] error ${String(message)} ${rest.map(String).join(' ')}\n`);
  }
}

/** The module with one trivial handler bound to `args` (decorators take their options at class definition). */
function handlerModule(args: Args): new () => unknown {
  @Controller()
  class CountingController {
    @JetStreamHandler({ family: args.family, durable: args.durable, filterSubject: args.subject })
    handle(@Payload() _event: DeliveredEvent<Family>, @Ctx() _context: EventContext): void {}
  }

  @Module({ controllers: [CountingController] })
  class OursModule {}
  return OursModule;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const logger = new StderrLogger();
  Logger.overrideLogger(logger);

  let acked = 0;
  let reached: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (reached = resolve));
  const bus = await Bus.connect(
    {
      servers: [args.url],
      name: 'bench-transport-ours',
      streams: { replicas: 1, maxAgeMs: {} },
      metrics: {
        ...NOOP_BUS_METRICS,
        acked: (consumer, count) => {
          if (consumer !== args.durable) return;
          acked += count;
          if (acked >= args.count) reached();
        },
      },
    },
    // The parent provisioned the streams.
    { provision: false },
  );
  try {
    const app = await NestFactory.createMicroservice(handlerModule(args), {
      strategy: new JetStreamServer(bus),
      logger,
    });
    await app.init();

    const cpu = process.cpuUsage();
    const started = performance.now();
    await app.listen();
    const complete = await within(all, args.budgetMs);
    await bus.connection.flush();
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);

    const result = {
      messages: Math.min(acked, args.count),
      seconds,
      complete,
      cpuSeconds: (user + system) / 1e6,
      durable: args.durable,
    };
    await new Promise<void>((resolve) =>
      process.stdout.write(`${JSON.stringify(result)}\n`, () => resolve()),
    );
    await app.close();
  } finally {
    await bus.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `transport-ours failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
