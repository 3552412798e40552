import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type RunlogConfig } from '../config/runlog-config';
import { redactAccessToken } from '../http/auth';
import { currentService } from './service-context';

/** Headers and fields that never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.query.access_token',
  'res.headers["set-cookie"]',
];

/**
 * pino through nestjs-pino: JSON lines in production, pretty in a TTY; each request logged
 * with its id and its service's name (Fastify's, which is the caller's `x-request-id` when given, see
 * createServiceApp); credentials redacted; no bodies.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: RunlogConfig, service: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          // Every route (the module's default pattern does not match on Fastify with Nest 12).
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            // The root logger is one per process (nestjs-pino): the service is read per
            // line, so each of `npm start`'s services names itself (see runAsService).
            mixin: () => ({ name: currentService() ?? service }),
            level: config.logLevel,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            // An SSE key may come as ?access_token=: the logged URL never holds it.
            serializers: {
              req: (req: { url?: string }) =>
                typeof req.url === 'string' ? { ...req, url: redactAccessToken(req.url) } : req,
            },
            // Health probes and scrapes would drown the request log.
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            ...(config.logPretty
              ? {
                  transport: {
                    target: 'pino-pretty',
                    options: { singleLine: true, colorize: true },
                  },
                }
              : {}),
          },
        }),
      ],
    };
  }
}
