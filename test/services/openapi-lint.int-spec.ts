// Each service's OpenAPI document passes `redocly lint` with its recommended rules
// (redocly.yaml) without errors: the document is what clients generate code from, so the
// ecosystem's own linter is the judge (issue 20, part 6). The CLI runs offline: telemetry
// and the update check are off, and the documents are read from local files.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AllServices, type ServiceName, withAllServices } from './all-services';

const ROOT = join(__dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

interface LintProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
  readonly location?: readonly { readonly pointer?: string }[];
}

/** `redocly lint --format json` on one file: its problems (the CLI exits 1 on errors). */
async function lint(file: string): Promise<LintProblem[]> {
  const run = promisify(execFile);
  const env = {
    ...process.env,
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    NO_COLOR: '1',
  };
  const args = [REDOCLY, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'];
  const output = await run(process.execPath, args, { env, cwd: ROOT }).then(
    ({ stdout }) => stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  const report = JSON.parse(output.slice(output.indexOf('{'))) as { problems: LintProblem[] };
  return report.problems;
}

describe('OpenAPI documents against redocly lint (recommended)', () => {
  let fx: AllServices;
  let dataDir: string;
  withAllServices({}, (started) => (fx = started));
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'runlog-openapi-lint-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each<ServiceName>(['ingest', 'lease-history', 'trace-store', 'normalizer'])(
    '%s /docs-json has no redocly errors',
    async (name) => {
      const response = await fetch(`${fx.url(name)}/docs-json`);
      expect(response.status).toBe(200);
      const file = join(dataDir, `${name}.openapi.json`);
      writeFileSync(file, await response.text());
      const errors = (await lint(file))
        .filter((problem) => problem.severity === 'error')
        .map((p) => `${p.ruleId} ${p.location?.[0]?.pointer ?? ''}: ${p.message}`);
      expect(errors).toEqual([]);
    },
    60_000,
  );
});
