import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { findNatsServerBinary, stopProcess } from '@runlog/platform';
import { freePort } from '@runlog/testing';

/** The NATS configuration docker-compose.yml mounts: the one under test. */
export const NATS_CONF = join(__dirname, '..', '..', 'deploy', 'nats', 'nats.conf');

/** The users of deploy/nats/nats.conf. */
export const NATS_USERS = [
  'admin',
  'ingest',
  'normalizer',
  'lease-history',
  'trace-store',
  'producer',
] as const;
export type NatsUser = (typeof NATS_USERS)[number];

/** The environment variable nats.conf reads a user's password from: `NATS_TRACE_STORE_PASS`. */
export function passwordVariable(user: NatsUser): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASS`;
}

/** A nats-server running the shipped configuration, with random passwords. */
export interface PermissionedNats {
  readonly url: string;
  /** `NATS_URL`, `NATS_USER` and `NATS_PASS` of a user, as compose gives them to a service. */
  env(user: NatsUser): Record<string, string>;
  /** A plain nats.js connection as the user, with its own reply prefix `_INBOX_<user>`. */
  connect(user: NatsUser): Promise<NatsConnection>;
  /** The server's permission-violation log lines so far (`Publish Violation`, `Subscription Violation`). */
  violations(): string[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/**
 * A password as .env.example says to make one: `p` and 48 hex digits. nats-server parses
 * an environment variable's value as a config value, so it must read as one bare string:
 * a value that starts with a digit is refused (or read as a number).
 */
export function generatedPassword(): string {
  return `p${randomBytes(24).toString('hex')}`;
}

/**
 * Spawns `nats-server -c deploy/nats/nats.conf` on a free loopback port with a temporary
 * JetStream store: the listen address and store are the command-line flags compose passes
 * too, the passwords the environment variables compose passes from `.env`.
 */
export async function startPermissionedNats(
  passwordOf: (user: NatsUser) => string = () => generatedPassword(),
): Promise<PermissionedNats> {
  const binary = findNatsServerBinary();
  if (!binary)
    throw new Error('no nats-server binary (set NATS_SERVER_BIN or install nats-server)');
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'runlog-natsperm-'));
  const passwords = Object.fromEntries(
    NATS_USERS.map((user) => [user, passwordOf(user)]),
  ) as Record<NatsUser, string>;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const user of NATS_USERS) env[passwordVariable(user)] = passwords[user];

  const args = ['-c', NATS_CONF, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  const child: ChildProcess = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server not ready:\n${log}`)),
        READY_TIMEOUT_MS,
      );
      const onData = (): void => {
        if (!log.includes('Server is ready')) return;
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      };
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
    });
  } catch (error) {
    await stopProcess(child);
    rmSync(storeDir, { recursive: true, force: true });
    throw error;
  }

  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    env: (user) => ({ NATS_URL: url, NATS_USER: user, NATS_PASS: passwords[user] }),
    connect: (user) =>
      connect({
        servers: url,
        user,
        pass: passwords[user],
        name: `natsperm-${user}`,
        // Each user's replies under a prefix of its own (admin may use any).
        ...(user === 'admin' ? {} : { inboxPrefix: `_INBOX_${user}` }),
      }),
    violations: () => log.split('\n').filter((line) => /Violation/.test(line)),
    stop: async () => {
      await stopProcess(child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
