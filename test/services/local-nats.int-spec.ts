import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from '@runlog/testing';
import { ensureLocalNats } from '../../apps/standalone/src/local-nats';

describe('npm start without a NATS server', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-local-nats-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts nats-server with JetStream and its store under RUNLOG_DATA_DIR, and stops it', async () => {
    const port = await freePort();
    const local = await ensureLocalNats(dataDir, { env: {}, port });
    expect(local?.url).toBe(`nats://127.0.0.1:${port}`);
    try {
      const nc = await connect({ servers: local!.url });
      const jsm = await jetstreamManager(nc);
      const account = await jsm.getAccountInfo();
      expect(account.limits).toBeDefined();
      await nc.close();
    } finally {
      await local?.stop();
    }
    await expect(
      connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false, timeout: 500 }),
    ).rejects.toThrow();
  });

  it('leaves things alone when NATS_URL is set', async () => {
    const port = await freePort();
    expect(
      await ensureLocalNats(dataDir, { env: { NATS_URL: 'nats://example:4222' }, port }),
    ).toBeUndefined();
  });

  it('uses the server that already answers on the port', async () => {
    const port = await freePort();
    const first = await ensureLocalNats(dataDir, { env: {}, port });
    try {
      expect(
        await ensureLocalNats(mkdtempSync(join(tmpdir(), 'runlog-x-')), { env: {}, port }),
      ).toBeUndefined();
    } finally {
      await first?.stop();
    }
  });
});
