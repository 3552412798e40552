import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** Where a `nats-server` binary is: `NATS_SERVER_BIN`, then PATH, then /usr/sbin and /usr/local/bin. */
export function findNatsServerBinary(): string | undefined {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  return candidates.find((path): path is string => !!path && existsSync(path));
}

/** Whether something accepts TCP connections on host:port (within one second). */
export function tcpAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface NatsServerProcessOptions {
  readonly binary: string;
  readonly host: string;
  readonly port: number;
  /** JetStream store directory (`-sd`). */
  readonly storeDir: string;
  readonly readyTimeoutMs?: number;
}

/**
 * Spawns `nats-server -js` and resolves once it logs "Server is ready"; rejects with its
 * log when it exits or times out first. The caller owns the child (kill it by pid).
 */
export async function startNatsServerProcess(
  options: NatsServerProcessOptions,
): Promise<ChildProcess> {
  const { binary, host, port, storeDir, readyTimeoutMs = 15_000 } = options;
  const child = spawn(binary, ['-a', host, '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`nats-server on ${host}:${port} not ready after ${readyTimeoutMs} ms:\n${log}`),
      );
    }, readyTimeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        // Keep draining stderr so the child never blocks on a full pipe.
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  return child;
}

/** Kills a child with SIGKILL (or the given signal) and resolves once it has exited. */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
