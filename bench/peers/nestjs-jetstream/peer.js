// The bench's peer row (issue 8): a trivial @EventPattern handler on
// @nestjs-plugins/nestjs-nats-jetstream-transport (NestJS 11, the nats v2 client), run as a
// child process by bench/transport.ts over a stream it has already filled.
//
//   node peer.js --url nats://127.0.0.1:4222 --stream RUNLOG_TRACE --subject 'events.trace.>' \
//     --durable bench_peer --count 100000 [--budget-ms 10000]
//
// (or PEER_URL, PEER_STREAM, PEER_SUBJECT, PEER_DURABLE, PEER_COUNT, PEER_BUDGET_MS).
// Timed from `app.listen()` until `count` messages were handled and acked and the acks
// flushed; prints one JSON line on stdout:
//   {"messages":N,"seconds":s,"complete":true,"cpuSeconds":c,"durable":"<the consumer it created>"}
// `complete` is false when the budget ran out first; `cpuSeconds` is this process's user +
// system CPU over the same window. Exit 1 with a message on stderr on failure.
//
// How the library consumes (dist/server.js, 2.2.6): each @EventPattern subject becomes
// `js.subscribe(subject, consumerOpts)`, a durable PUSH consumer (it has no pull mode),
// iterated with `for await`, one handler call awaited at a time. It is configured like
// runlog's durables (libs/bus/src/provisioning/provision.ts): explicit ack, deliver all,
// ack wait 30 s, max_ack_pending 1000, no server redelivery limit; `manualAck` so the
// handler acks after its work, as the library's README does (without it the client acks
// on dispatch, before the handler has run).
'use strict';

require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Ctx, EventPattern, Payload } = require('@nestjs/microservices');
const { NatsJetStreamServer } = require('@nestjs-plugins/nestjs-nats-jetstream-transport');
const { connect } = require('nats');

function option(name, env) {
  const flag = `--${name}`;
  const at = process.argv.indexOf(flag);
  if (at !== -1 && at + 1 < process.argv.length) return process.argv[at + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`${flag}=`));
  if (inline !== undefined) return inline.slice(flag.length + 1);
  return process.env[env];
}

function required(name, env) {
  const value = option(name, env);
  if (value === undefined || value === '') throw new Error(`missing --${name} (or ${env})`);
  return value;
}

function positiveInteger(name, env, fallback) {
  const given = option(name, env);
  if (given === undefined || given === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing --${name} (or ${env})`);
  }
  const value = Number(given);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer, not ${given}`);
  return value;
}

/** Nest's log output goes to stderr (warnings and errors only): stdout carries the result. */
const stderrLogger = {
  log: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
  warn: (message, ...rest) => process.stderr.write(`[peer] warn ${message} ${rest.join(' ')}\n`),
  error: (message, ...rest) => process.stderr.write(`[peer] error ${message} ${rest.join(' ')}\n`),
  fatal: (message, ...rest) => process.stderr.write(`[peer] fatal ${message} ${rest.join(' ')}\n`),
};

/** Counts handled-and-acked messages and resolves once `target` is reached. */
function counter(target) {
  let count = 0;
  let reached;
  const done = new Promise((resolve) => (reached = resolve));
  return {
    done,
    get count() {
      return count;
    },
    add() {
      if (++count === target) reached();
    },
  };
}

/** The controller, decorated by hand (plain JavaScript has no decorator syntax). */
function handlerModule(subject, handled) {
  class CountingController {
    handle(_payload, context) {
      context.message.ack();
      handled.add();
    }
  }
  const proto = CountingController.prototype;
  Payload()(proto, 'handle', 0);
  Ctx()(proto, 'handle', 1);
  Reflect.defineMetadata('design:paramtypes', [Object, Object], proto, 'handle');
  Reflect.decorate(
    [EventPattern(subject)],
    proto,
    'handle',
    Object.getOwnPropertyDescriptor(proto, 'handle'),
  );
  Reflect.decorate([Controller()], CountingController);

  class PeerModule {}
  Reflect.decorate([Module({ controllers: [CountingController] })], PeerModule);
  return PeerModule;
}

/** The durable name the library derives from ours and the pattern (server-consumer-options-builder.js). */
function libraryDurable(durable, subject) {
  return `${durable}-${subject.replaceAll('.', '_').replaceAll('*', '_ALL').replaceAll('>', '_ALL')}`;
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const url = required('url', 'PEER_URL');
  const stream = required('stream', 'PEER_STREAM');
  const subject = required('subject', 'PEER_SUBJECT');
  const durable = required('durable', 'PEER_DURABLE');
  const count = positiveInteger('count', 'PEER_COUNT');
  const budgetMs = positiveInteger('budget-ms', 'PEER_BUDGET_MS', 60_000);

  const handled = counter(count);
  const connectionOptions = { servers: url, name: 'bench-peer', noAsyncTraces: true };
  const server = new NatsJetStreamServer({
    connectionOptions,
    consumerOptions: {
      durable,
      deliverTo: `${durable}-deliver`,
      manualAck: true,
      ackPolicy: 'Explicit',
      deliverPolicy: 'All',
      ackWait: 30_000,
      maxAckPending: 1_000,
      maxDeliver: -1,
      filterSubject: subject,
    },
  });
  const app = await NestFactory.createMicroservice(handlerModule(subject, handled), {
    strategy: server,
    logger: stderrLogger,
  });
  await app.init();
  // listen() connects when it has no connection yet; connecting first keeps the connect out
  // of the timed part, as on runlog's side (its Bus is connected before listen()).
  server.nc = await connect(connectionOptions);
  const js = server.nc.jetstream();
  await js.streams.get(stream); // fails early, with the library's own client, if the stream is missing

  const cpu = process.cpuUsage();
  const started = performance.now();
  await app.listen();
  const complete = await withTimeout(handled.done, budgetMs);
  await server.nc.flush();
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);

  const result = {
    messages: Math.min(handled.count, count),
    seconds,
    complete,
    cpuSeconds: (user + system) / 1e6,
    durable: libraryDurable(durable, subject),
  };
  await new Promise((resolve) => process.stdout.write(`${JSON.stringify(result)}\n`, resolve));
  // Bounded: a push consumer keeps delivering while the connection drains.
  await withTimeout(app.close(), 5_000);
}

process.on('unhandledRejection', (error) => {
  process.stderr.write(
    `peer: unhandled rejection: ${error && error.stack ? error.stack : error}\n`,
  );
  process.exit(1);
});

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`peer failed: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
