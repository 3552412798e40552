export { ApiError, statusForCode, errorBody, type ErrorBody } from './api-error';
export { ApiErrorFilter } from './api-error.filter';
export {
  DEFAULT_LIMIT,
  type LimitBounds,
  MAX_LIMIT,
  parseCount,
  parseCursor,
  parseInstant,
  parseLimit,
  parseText,
  type QueryValue,
} from './query-params';
