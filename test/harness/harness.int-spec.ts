import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { startNats, testNatsUrl, uniqueName, type NatsServerHandle } from '@runlog/testing';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('test harness', () => {
  it('gives the run a real JetStream server', async () => {
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const jsm = await jetstreamManager(nc);
      const account = await jsm.getAccountInfo();
      expect(account.limits).toBeDefined();
    } finally {
      await nc.close();
    }
  });

  describe('a dedicated server', () => {
    let server: NatsServerHandle;
    let nc: NatsConnection;

    beforeAll(async () => {
      server = await startNats({ dedicated: true });
    });
    afterAll(async () => {
      await nc?.close().catch(() => undefined);
      await server?.stop();
    });

    it('stores by sequence and keeps the store across a kill -9 restart', async () => {
      expect(server.kind).not.toBe('external');
      nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const stream = uniqueName('HARNESS');
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.File });

      const acks = [];
      for (let i = 0; i < 3; i++) {
        acks.push(
          await js.publish(`${stream}.k${i}`, encoder.encode(`m${i}`), { msgID: `id-${i}` }),
        );
      }
      expect(acks.map((a) => a.seq)).toEqual([1, 2, 3]);

      const reconnected = new Promise<void>((resolve) => {
        void (async () => {
          for await (const status of nc.status()) {
            if (status.type === 'reconnect') return resolve();
          }
        })();
      });
      await server.restart();
      await reconnected;

      const second = await jsm.streams.getMessage(stream, { seq: 2 });
      expect(second && decoder.decode(second.data)).toBe('m1');
      expect(second?.subject).toBe(`${stream}.k1`);
      const again = await js.publish(`${stream}.k3`, encoder.encode('m3'), { msgID: 'id-3' });
      expect(again.seq).toBe(4);
      const dup = await js.publish(`${stream}.k0`, encoder.encode('m0'), { msgID: 'id-0' });
      expect(dup.duplicate).toBe(true);
    });
  });
});
