// A runlog service as `npm run start:<service>` runs it: the built dist/apps/<service>/src/main.js
// in a child process of its own, which a test can kill with SIGKILL and start again.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** Builds dist/ when it is missing or older than the sources (as `npm start` does). */
export function ensureBuilt(): void {
  execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
}

export interface ServiceProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `kill -9` by pid; resolves once the process has exited. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** The last 20,000 characters it wrote (stdout and stderr). */
  output(): string;
}

/** Children still alive when the test process exits are killed. */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * Spawns `dist/apps/<service>/src/main.js` with exactly `env` (and PATH) and resolves once it
 * logs `runlog <service> listening on <url>`; rejects with its output if it exits first.
 */
export async function startServiceProcess(
  service: string,
  env: Readonly<Record<string, string>>,
  readyTimeoutMs = 30_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [join(root, `dist/apps/${service}/src/main.js`)], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      alive.delete(child);
      done(code);
    }),
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stderr.on('data', keep);
  const url = await new Promise<string>((done, fail) => {
    const pattern = new RegExp(`^runlog ${service} listening on (\\S+)$`, 'm');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${service} not listening after ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = pattern.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1].replace('[::1]', '127.0.0.1'));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${service} exited with ${code} before it listened:\n${output}`));
    });
  });
  return {
    pid: child.pid!,
    url,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    output: () => output,
  };
}
