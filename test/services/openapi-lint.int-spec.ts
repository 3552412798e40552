// Each service's OpenAPI document passes `redocly lint` with its recommended rules
// (redocly.yaml) without errors: the document is what clients generate code from, so the
// ecosystem's own linter is the judge (issue 20, part 6). The CLI runs offline: telemetry
// and the update check are off, and the documents are read from local files.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { startNats, type NatsServerHandle } from '@runlog/testing';
import { ingestService } from '../../apps/ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../apps/lease-history/src/lease-history.service-definition';
import { normalizerService } from '../../apps/normalizer/src/normalizer.service-definition';
import { traceStoreService } from '../../apps/trace-store/src/trace-store.service-definition';

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
  let nats: NatsServerHandle;
  let services: RunningServices;
  let dataDir: string;
  beforeAll(async () => {
    nats = await startNats({ dedicated: true });
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-openapi-lint-'));
    const config = loadConfig({
      NATS_URL: nats.url,
      RUNLOG_DATA_DIR: dataDir,
      RUNLOG_HTTP_HOST: '127.0.0.1',
      INGEST_PORT: '0',
      LEASE_HISTORY_PORT: '0',
      TRACE_STORE_PORT: '0',
      NORMALIZER_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    services = await startServices(
      [ingestService, leaseHistoryService, traceStoreService, normalizerService],
      config,
    );
  }, 60_000);
  afterAll(async () => {
    await services?.close();
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it.each(['ingest', 'lease-history', 'trace-store', 'normalizer'])(
    '%s /docs-json has no redocly errors',
    async (name) => {
      const app = services.apps.find((a) => a.name === name)!;
      const response = await fetch(`${app.url}/docs-json`);
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
