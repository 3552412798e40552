export { createServiceApp, MAX_PARAM_LENGTH, type ServiceAppOptions } from './create-service-app';
export {
  API_KEY_SCHEME,
  ERROR_BODY_SCHEMA,
  GAPS_BODY_SCHEMA,
  serveOpenApi,
  OPENAPI_PATHS,
  type OpenApiOptions,
} from './openapi';
