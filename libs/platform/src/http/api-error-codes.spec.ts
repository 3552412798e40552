import {
  API_ERROR_CODES,
  ApiError,
  type ApiErrorCode,
  errorBody,
  statusForCode,
} from './api-error';

describe('ApiErrorCode', () => {
  it('is the set of codes the status table maps, each to an error status', () => {
    expect(API_ERROR_CODES.length).toBeGreaterThanOrEqual(17);
    for (const code of API_ERROR_CODES) {
      const status = statusForCode(code);
      expect(status >= 400 && status < 600).toBe(true);
    }
    expect(statusForCode('internal')).toBe(500);
    expect(statusForCode('not_a_code')).toBe(500);
  });

  it('rejects an unknown code at compile time', () => {
    const known: ApiErrorCode = 'not_found';
    // @ts-expect-error not a known code
    const unknown: ApiErrorCode = 'no_such_code';
    // @ts-expect-error ApiError takes known codes only
    expect(new ApiError('no_such_code', 'x').code).toBe('no_such_code');
    expect(errorBody(known, 'm')).toEqual({
      error: { code: 'not_found', message: 'm', details: [] },
    });
    expect(unknown).toBe('no_such_code');
  });
});
