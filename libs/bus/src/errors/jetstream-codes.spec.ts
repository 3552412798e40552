import { JetStreamApiError } from '@nats-io/jetstream';
import { BusError } from './bus-error';
import {
  API_CODES,
  isConsumerNotFound,
  isMessageTooLarge,
  isStreamNotFound,
  isTransientApiCode,
  jetStreamApiCode,
} from './jetstream-codes';

const apiError = (err_code: number, code = 404): JetStreamApiError =>
  new JetStreamApiError({ code, err_code, description: 'x' });

describe('JetStream API codes', () => {
  it('keeps the server numbers the bus relied on as literals', () => {
    expect(API_CODES.StreamNotFound).toBe(10059);
    expect(API_CODES.ConsumerNotFound).toBe(10014);
    expect(API_CODES.StreamNameExists).toBe(10058);
    expect(API_CODES.StreamMessageExceedsMaximum).toBe(10054);
  });

  it('reads the code of a JetStreamApiError and of a BusError', () => {
    expect(jetStreamApiCode(apiError(10059))).toBe(10059);
    expect(jetStreamApiCode(new BusError('refused', 'x', { apiCode: 10054 }))).toBe(10054);
    expect(jetStreamApiCode(new Error('stream not found'))).toBeUndefined();
  });

  it('tells not-found, too-large and transient errors apart', () => {
    expect(isStreamNotFound(apiError(10059))).toBe(true);
    expect(isStreamNotFound(apiError(10014))).toBe(false);
    expect(isConsumerNotFound(apiError(10014))).toBe(true);
    expect(isConsumerNotFound(new Error('consumer not found'))).toBe(false);
    expect(isMessageTooLarge(new BusError('refused', 'x', { apiCode: 10054 }))).toBe(true);
    expect([10008, 10023, 10047].every(isTransientApiCode)).toBe(true);
    expect(isTransientApiCode(10059)).toBe(false);
    expect(isTransientApiCode(undefined)).toBe(false);
  });
});
