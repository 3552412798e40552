import { type ChildProcess } from 'node:child_process';

/** Resolves with the process's exit code. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

/** Resolves once `count` lines matching `pattern` have appeared on the child's stdout. */
export function linesMatching(
  child: ChildProcess,
  pattern: RegExp,
  count: number,
): Promise<string[]> {
  return new Promise((done, fail) => {
    const seen: string[] = [];
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (pattern.test(line)) seen.push(line);
      if (seen.length >= count) done(seen);
    });
    child.once('exit', (code) =>
      fail(new Error(`exited with ${code} after ${seen.length} matching lines`)),
    );
  });
}
