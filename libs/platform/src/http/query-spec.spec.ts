import { type ApiError } from './api-error';
import { cursorParam, limitParam, parseQuery, textParam } from './query-spec';

const SPEC = {
  state: textParam('A state', ['held', 'expired'] as const),
  after: cursorParam(),
  limit: limitParam({ fallback: 10, max: 50 }),
};

describe('parseQuery', () => {
  it('parses each declared parameter, with its default when absent', () => {
    expect(parseQuery(SPEC, { state: 'held', after: '42' })).toEqual({
      state: 'held',
      after: 42,
      limit: 10,
    });
    expect(parseQuery(SPEC, {})).toEqual({ state: undefined, after: 0, limit: 10 });
  });

  it('answers 400 naming the first bad parameter in declaration order', () => {
    const failing = (query: Record<string, string | string[]>) => {
      try {
        parseQuery(SPEC, query);
      } catch (error) {
        const { code, details } = error as ApiError;
        return { code, path: (details?.[0] as { path?: string } | undefined)?.path };
      }
      throw new Error('parsed');
    };
    expect(failing({ limit: '51', state: 'lost' })).toEqual({
      code: 'invalid_parameter',
      path: 'state',
    });
    expect(failing({ limit: '51' })).toEqual({ code: 'invalid_parameter', path: 'limit' });
    expect(failing({ after: ['1', '2'] })).toEqual({ code: 'invalid_parameter', path: 'after' });
  });

  it('ignores parameters it does not declare', () => {
    expect(parseQuery(SPEC, { other: 'x' })).toEqual({ state: undefined, after: 0, limit: 10 });
  });

  it('documents the page size bounds', () => {
    expect(limitParam({ fallback: 10, max: 50 }).description).toBe('1..50, default 10');
  });
});
