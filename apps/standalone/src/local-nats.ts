import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  findNatsServerBinary,
  startNatsServerProcess,
  stopProcess,
  tcpAnswers,
} from '@runlog/platform';

const HOST = '127.0.0.1';
/** The port DESIGN.md's default `NATS_URL` points at. */
export const DEFAULT_NATS_PORT = 4222;

/** A nats-server this process started, because none was configured or running. */
export interface LocalNats {
  readonly url: string;
  stop(): Promise<void>;
}

export class NoNatsServerError extends Error {
  override readonly name = 'NoNatsServerError';
  constructor() {
    super(
      [
        'no NATS server: NATS_URL is unset, nothing answers on 127.0.0.1:4222, and nats-server is not installed.',
        'Get one with either of:',
        '  docker compose up -d nats',
        '  apt-get install -y nats-server   (then run npm start again: it starts one for you)',
        'or point NATS_URL at a NATS server with JetStream enabled.',
      ].join('\n'),
    );
  }
}

/**
 * When `NATS_URL` is unset and nothing answers on 127.0.0.1:4222, starts `nats-server`
 * with JetStream and its store under `<dataDir>/nats`, stopped when runlog stops.
 * Returns undefined when a server is configured or already running.
 */
export async function ensureLocalNats(
  dataDir: string,
  { env = process.env, port = DEFAULT_NATS_PORT }: { env?: NodeJS.ProcessEnv; port?: number } = {},
): Promise<LocalNats | undefined> {
  if (env.NATS_URL?.trim()) return undefined;
  if (await tcpAnswers(port, HOST)) return undefined;
  const binary = findNatsServerBinary();
  if (!binary) throw new NoNatsServerError();
  const storeDir = resolve(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const child = await startNatsServerProcess({ binary, host: HOST, port, storeDir });
  process.once('exit', () => child.kill('SIGKILL'));
  process.stdout.write(
    `runlog: started nats-server (JetStream, store ${storeDir}) on ${HOST}:${port}\n`,
  );
  return { url: `nats://${HOST}:${port}`, stop: () => stopProcess(child, 'SIGTERM') };
}
