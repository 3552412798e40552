import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** Where PostgreSQL's server programs are: `PG_BIN`, else the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBin(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const given = process.env.PG_BIN;
  if (given) return has(given) ? given : undefined;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  return readdirSync(base)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(base, version, 'bin'))
    .find(has);
}

/** A PostgreSQL server of a test's own: its data directory, a free port, trust auth on 127.0.0.1. */
export interface PostgresServerHandle {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop -m <mode>` (default `immediate`: no checkpoint, like a crash). */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start` again on the same port and data (it recovers from its WAL). */
  start(): Promise<void>;
  /** Stops the server if it runs and deletes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * initdb and pg_ctl from {@link findPostgresBin}, as the `postgres` OS user when this process
 * is root (PostgreSQL refuses to run as root), in a temporary directory that user owns.
 * Listens on 127.0.0.1 only, with its socket in that directory.
 */
export async function startPostgresServer(): Promise<PostgresServerHandle> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server programs (initdb, pg_ctl); set PG_BIN');
  const root = mkdtempSync(join(tmpdir(), 'runlog-pg-'));
  const dataDir = join(root, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
  }
  const pg = (program: string, args: readonly string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : run(join(bin, program), [...args]);
  const pgSync = (program: string, args: readonly string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : execFileSync(join(bin, program), [...args]);

  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1`;
  let running = false;
  const start = async (): Promise<void> => {
    await pg('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(root, 'log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    running = true;
  };
  const stop = async (mode: 'smart' | 'fast' | 'immediate' = 'immediate'): Promise<void> => {
    if (!running) return;
    running = false;
    await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  // pg_ctl starts the server detached: if this process dies first, stop it on the way out.
  const onExit = (): void => {
    if (!running) return;
    try {
      pgSync('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);

  try {
    await pg('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await start();
  } catch (error) {
    await stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    process.off('exit', onExit);
    throw error;
  }
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await stop('immediate').catch(() => undefined);
      process.off('exit', onExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
