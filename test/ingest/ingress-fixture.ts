// The async ingress specs' fixture: ingest on a NATS server of its own, and a bus of the
// test's own on that server (it provisions nothing: ingest did), closed together.
import { Bus } from '@runlog/bus';
import { uniqueName } from '@runlog/testing';
import { type IngestFixture, startIngest } from './ingest-fixtures';

export interface IngressFixture {
  readonly fx: IngestFixture;
  readonly bus: Bus;
  close(): Promise<void>;
}

export async function startIngress(): Promise<IngressFixture> {
  const fx = await startIngest();
  let bus: Bus;
  try {
    bus = await Bus.connect(
      {
        servers: [fx.server.url],
        name: uniqueName('ingress'),
        streams: { replicas: 1, maxAgeMs: {} },
      },
      { provision: false },
    );
  } catch (error) {
    await fx.close();
    throw error;
  }
  return {
    fx,
    bus,
    close: async () => {
      await bus.close();
      await fx.close();
    },
  };
}
