import { type DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { type RunlogConfig } from '../config/runlog-config';

/** Headers and fields that never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * pino through nestjs-pino: JSON lines in production, pretty in a TTY; a request id per
 * request (the caller's `x-request-id` when given); credentials redacted; no bodies.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: RunlogConfig, service: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            name: service,
            level: config.logLevel,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            genReqId: (req, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && given.length <= 128 ? given : randomUUID();
              res.setHeader('x-request-id', id);
              return id;
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
