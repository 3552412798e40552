import { jetstream } from '@nats-io/jetstream';
import { type Bus, DEAD_LETTER_HEADERS } from '@runlog/bus';
import { waitFor } from '@runlog/testing';
import { withFixture } from '../use-fixture';
import { event, type IngestFixture } from './ingest-fixtures';
import { startIngress } from './ingress-fixture';

describe('async ingress: nothing one message can do holds the others', () => {
  let fx: IngestFixture;
  let bus: Bus;
  withFixture(startIngress, (started) => ({ fx, bus } = started), { once: true });

  it('parks a message too large to dead-letter whole, truncated with a marker, acks it, and routes the next', async () => {
    const js = jetstream(fx.nc);
    const maxPayload = fx.nc.info!.max_payload;
    const before = await fx.counts();
    // Not JSON, so it is refused; with the reason and the dead-letter headers it cannot fit whole.
    const huge = new Uint8Array(maxPayload - 300).fill(0x7b);
    await js.publish('ingest.trace.req-huge', huge);
    await js.publish('ingest.trace.req-next', JSON.stringify(event('trace', 'op_start')));

    const [letter] = await waitFor(
      'the truncated dead letter',
      async () => {
        const found = await bus.deadLetters.list('ingest');
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(letter).toMatchObject({
      cause: 'decode_failed',
      truncated: true,
      originalSize: huge.length,
      originalStream: 'RUNLOG_INGEST',
      originalSubject: 'ingest.trace.req-huge',
    });
    expect(letter!.headers[DEAD_LETTER_HEADERS.truncated]).toBe('true');
    expect(letter!.body.length).toBeLessThan(huge.length);
    await waitFor(
      'the next event routed and RUNLOG_INGEST empty (everything acked)',
      async () => {
        const [counts, info] = await Promise.all([
          fx.counts(),
          fx.jsm.streams.info('RUNLOG_INGEST'),
        ]);
        return counts.trace === before.trace + 1 && info.state.messages === 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  });
});
