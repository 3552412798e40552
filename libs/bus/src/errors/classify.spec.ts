import { JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { BusError } from './bus-error';
import { classifyBusError } from './classify';

describe('classifyBusError', () => {
  it.each([
    ['a publish timeout', new BusError('timeout', 'no PubAck')],
    ['no stream answering (an election)', new BusError('no_stream', 'no responders')],
    ['a closed connection', new BusError('connection_closed', 'closed')],
    ['JetStream temporarily unavailable', new BusError('refused', 'x', { apiCode: 10008 })],
    ['a nats.js timeout', new TimeoutError()],
    ['no responders', new NoRespondersError('$KV.x')],
    ['a request without responders', new RequestError('x', { cause: new NoRespondersError('s') })],
    ['a closed connection (nats.js)', new ClosedConnectionError()],
    ['a draining connection', new DrainingConnectionError()],
    [
      'a JetStream 503',
      new JetStreamApiError({ code: 503, err_code: 10008, description: 'unavailable' }),
    ],
    [
      'a cause two levels down',
      new Error('kv put', { cause: new Error('x', { cause: new TimeoutError() }) }),
    ],
  ])('%s is transient: retried, never parked', (_, error) => {
    expect(classifyBusError(error)).toBe('transient');
  });

  it.each([
    ['a refused publish (message too large)', new BusError('refused', 'x', { apiCode: 10054 })],
    ['a provisioning conflict', new BusError('provisioning_failed', 'x')],
    ['a bug in the mapping', new TypeError('undefined is not a function')],
    [
      'a JetStream 400',
      new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence' }),
    ],
    ['not an error', 'boom'],
  ])('%s is unknown: max_deliver decides', (_, error) => {
    expect(classifyBusError(error)).toBe('unknown');
  });
});
