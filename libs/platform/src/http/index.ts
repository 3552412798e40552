export {
  ApiError,
  API_ERROR_CODES,
  type ApiErrorCode,
  statusForCode,
  errorBody,
  type ErrorBody,
} from './api-error';
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
export {
  callerAllows,
  callerName,
  callerOf,
  identifiedCallerOf,
  installAuth,
  redactAccessToken,
  RequireScope,
  type Caller,
  type RouteAccess,
} from './auth';
export {
  ApiQueries,
  countParam,
  cursorParam,
  instantParam,
  limitParam,
  parseQuery,
  Queries,
  type QueryOf,
  type QueryParam,
  type QuerySpec,
  textParam,
} from './query-spec';
export { IdParamPipe, MAX_ID_BYTES, parseId } from './id-param.pipe';
export { SseLimiter, type SseSlot } from './sse-limiter';
export {
  serveSse,
  type ServeSseOptions,
  SSE_HEARTBEAT_MS,
  sseFrame,
  type SseFrame,
  type SseReply,
  SseWriter,
} from './sse';
export { SseRoutes, type SseRouteLogger, subscriptionFrames } from './sse-routes';
export { deadLettersController, deadLetterJson } from './dead-letters.controller';
