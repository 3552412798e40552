export { ApiError, statusForCode, errorBody, type ErrorBody } from './api-error';
export { ApiErrorFilter } from './api-error.filter';
