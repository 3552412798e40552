import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningServices, startServices } from '@runlog/platform';
import { consoleService } from './console.service-definition';

const READ = 'read-key-console-spec-01';

describe('the console server', () => {
  let webRoot: string;

  beforeAll(() => {
    // A stand-in for the Vite build: the server only serves what it finds.
    webRoot = mkdtempSync(join(tmpdir(), 'runlog-console-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(webRoot, 'assets', 'index-abc.js'), 'console.log(1)');
  });

  afterAll(() => rmSync(webRoot, { recursive: true, force: true }));

  async function start(env: Record<string, string>): Promise<RunningServices & { url: string }> {
    const running = await startServices(
      [consoleService(webRoot)],
      loadConfig({ CONSOLE_PORT: '0', LOG_LEVEL: 'silent', ...env }),
    );
    return { ...running, url: running.apps[0]!.url.replace('[::1]', '127.0.0.1') };
  }

  it('binds loopback without keys (protected mode) and serves the pages, assets, health and metrics', async () => {
    const open = await start({});
    try {
      expect(open.apps[0]!.app.getHttpServer().address()).toMatchObject({ address: '127.0.0.1' });
      for (const page of ['/traces', '/traces/a%2Fb', '/executions/e-1']) {
        const answer = await fetch(`${open.url}${page}`);
        expect([page, answer.status]).toEqual([page, 200]);
        expect(answer.headers.get('content-type')).toContain('text/html');
        expect(answer.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(await answer.text()).toContain('<div id="app">');
      }
      const asset = await fetch(`${open.url}/assets/index-abc.js`);
      expect(asset.headers.get('content-type')).toContain('text/javascript');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${open.url}/assets/missing.js`)).status).toBe(404);
      const root = await fetch(`${open.url}/`, { redirect: 'manual' });
      expect([root.status, root.headers.get('location')]).toEqual([302, '/traces']);
      expect((await fetch(`${open.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      // A page not built yet is not served.
      expect((await fetch(`${open.url}/streams`)).status).toBe(404);
    } finally {
      await open.close();
    }
  });

  it('with keys: the page shell is public, everything else needs a key with its scope', async () => {
    const keyed = await start({ RUNLOG_API_KEYS: `${READ}=read`, RUNLOG_HTTP_HOST: '127.0.0.1' });
    const auth = { authorization: `Bearer ${READ}` };
    try {
      expect((await fetch(`${keyed.url}/traces`)).status).toBe(200);
      expect((await fetch(`${keyed.url}/assets/index-abc.js`)).status).toBe(200);
      expect((await fetch(`${keyed.url}/health/ready`)).status).not.toBe(401);
      expect((await fetch(`${keyed.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/metrics`, { headers: auth })).status).toBe(403);
      expect((await fetch(`${keyed.url}/api/trace-store/v1/traces`)).status).toBe(401);
      // An unknown path needs a valid key before it is a 404.
      expect((await fetch(`${keyed.url}/streams`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/streams`, { headers: auth })).status).toBe(404);
    } finally {
      await keyed.close();
    }
  });

  it('will not start without a build', async () => {
    await expect(
      startServices(
        [consoleService(join(webRoot, 'nothing-here'))],
        loadConfig({ CONSOLE_PORT: '0', LOG_LEVEL: 'silent' }),
      ),
    ).rejects.toThrow(/no build at/);
  });
});
