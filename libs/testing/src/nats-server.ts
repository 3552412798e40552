import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findNatsServerBinary,
  startNatsServerProcess,
  stopProcess,
} from '../../platform/src/nats-server';
import { dockerAvailable } from './docker';
import { freePort } from './free-port';

/** A real NATS server with JetStream for a test run or a benchmark. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** How it was obtained: the `NATS_URL` given, a container, or a spawned `nats-server`. */
  readonly kind: 'external' | 'container' | 'process';
  /** Kill -9 and start again on the same port with the same store (spawned servers only). */
  restart(): Promise<void>;
  /** Kill -9 without starting again (spawned servers only): for outage tests. */
  kill(): Promise<void>;
  /** Start again after {@link kill}. */
  start(): Promise<void>;
  /** Stop the server and delete its store. Idempotent. */
  stop(): Promise<void>;
}

export interface StartNatsOptions {
  /** Ignore `NATS_URL` and get a server of one's own (fault tests that kill it). */
  readonly dedicated?: boolean;
}

/**
 * A real NATS server: `NATS_URL` when set (unless `dedicated`); else a container when a
 * Docker engine answers; else `nats-server` spawned on a free 127.0.0.1 port with a
 * temporary store.
 */
export async function startNats(options: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const external = process.env.NATS_URL;
  if (external && !options.dedicated) return externalServer(external);
  if (await dockerAvailable()) return containerServer();
  const binary = findNatsServerBinary();
  if (binary) return spawnNatsServer(binary);
  throw new Error(
    'no NATS server for the tests: set NATS_URL, start a Docker engine, or install nats-server (apt-get install -y nats-server)',
  );
}

function externalServer(url: string): NatsServerHandle {
  const unsupported = async (): Promise<void> => {
    throw new Error(
      'cannot kill or restart an external NATS_URL server; use startNats({ dedicated: true })',
    );
  };
  return {
    url,
    kind: 'external',
    restart: unsupported,
    kill: unsupported,
    start: unsupported,
    stop: async () => {},
  };
}

/** Spawns `nats-server -js` as a child, kills it by pid when stopped. */
export async function spawnNatsServer(binary: string): Promise<NatsServerHandle> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'runlog-nats-'));
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const proc = await startNatsServerProcess({ binary, host: '127.0.0.1', port, storeDir });
    child = proc;
    killOnExit.add(proc);
    proc.once('exit', () => killOnExit.delete(proc));
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc) await stopProcess(proc);
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    kind: 'process',
    kill,
    start: launch,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

async function containerServer(): Promise<NatsServerHandle> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // A fixed host port, so that a restart keeps the URL clients reconnect to.
  const hostPort = await freePort();
  const container = await new GenericContainer('nats:2.10-alpine')
    .withCommand(['-js', '-sd', '/data'])
    .withExposedPorts({ container: 4222, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  const url = `nats://${container.getHost()}:${hostPort}`;
  let stopped = false;
  return {
    url,
    kind: 'container',
    restart: async () => {
      await container.restart();
    },
    kill: async () => {
      await container.exec(['kill', '-9', '1']).catch(() => undefined);
    },
    start: async () => {
      await container.restart();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}

/** Children still alive when this process exits are killed, so no test leaves a server behind. */
const killOnExit = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of killOnExit) proc.kill('SIGKILL');
});
