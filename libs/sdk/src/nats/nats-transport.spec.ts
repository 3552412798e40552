import { errors } from '@nats-io/transport-node';
import { API_CODES, BusError, publishError } from '@runlog/bus/core';
import { publishOutcome } from './nats-transport';

const subject = 'ingest.trace.r1';
const refused = (apiCode?: number) =>
  new BusError('refused', 'JetStream refused it', { subject, ...(apiCode ? { apiCode } : {}) });

describe('publishOutcome: a failed publish as the sink sees it', () => {
  it('rejects what can never fit, as too_large: the stream limit and the server max_payload', () => {
    const stream = publishOutcome(refused(API_CODES.StreamMessageExceedsMaximum));
    expect(stream).toMatchObject({ kind: 'rejected', errors: [{ code: 'too_large' }] });
    const client = errors.InvalidArgumentError.format('payload', 'max_payload size exceeded');
    expect(publishOutcome(publishError(client, subject))).toMatchObject({
      kind: 'rejected',
      errors: [{ code: 'too_large' }],
    });
  });

  it('retries what may pass later: no PubAck, no stream, a lost connection, JetStream out of resources', () => {
    for (const error of [
      new BusError('timeout', 'no PubAck', { subject }),
      new BusError('no_stream', 'no stream', { subject }),
      new BusError('connection_closed', 'disconnected', { subject }),
      refused(API_CODES.InsufficientResources),
      refused(API_CODES.StorageResourcesExceeded),
      publishError(new Error('socket hang up'), subject),
    ])
      expect(publishOutcome(error)).toMatchObject({ kind: 'retry' });
  });

  it('refuses for good what JetStream said no to', () => {
    expect(publishOutcome(refused(10_999))).toMatchObject({ kind: 'refused' });
    expect(publishOutcome(refused())).toMatchObject({ kind: 'refused' });
  });
});
