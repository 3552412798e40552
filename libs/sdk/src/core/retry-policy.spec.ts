import { type Entry } from './entry';
import { MAX_REFUSALS, verdictOn } from './retry-policy';

const entry = (): Entry => ({
  seq: 1,
  id: 'id-1',
  type: 'runlog.engine.request_served',
  family: 'engine',
  kind: 'request_served',
  source: 'svc/test',
  sourceseq: 1,
  key: 'm-1',
  body: '{}',
  bytes: 2,
  refusals: 0,
});

describe('verdictOn', () => {
  it('keeps an event the transport gave no answer for, as a failure to back off from', () => {
    expect(verdictOn(entry(), undefined)).toEqual({
      kind: 'kept',
      transient: 'no answer for this event',
    });
  });

  it('keeps an event sent "again" without a failure, and passes an ack through', () => {
    expect(verdictOn(entry(), { kind: 'again' })).toEqual({ kind: 'kept' });
    expect(verdictOn(entry(), { kind: 'acked', duplicate: true })).toEqual({
      kind: 'acked',
      duplicate: true,
    });
  });

  it(`drops an event on its ${MAX_REFUSALS}th refusal, and at once when rejected`, () => {
    const refused = entry();
    const verdicts = Array.from({ length: MAX_REFUSALS }, () =>
      verdictOn(refused, { kind: 'refused', message: 'odd' }),
    );
    expect(verdicts.slice(0, -1).every((v) => v.kind === 'kept')).toBe(true);
    expect(verdicts.at(-1)).toEqual({
      kind: 'dropped',
      errors: [],
      message: `refused ${MAX_REFUSALS} times: odd`,
    });
    const errors = [{ path: '', code: 'too_large' as const, message: 'big' }];
    expect(verdictOn(entry(), { kind: 'rejected', message: 'no', errors })).toEqual({
      kind: 'dropped',
      errors,
      message: 'no',
    });
  });
});
