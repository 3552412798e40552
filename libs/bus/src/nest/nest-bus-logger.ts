import { Logger } from '@nestjs/common';
import { type BusLoggerFactory } from '../logging/bus-logger';

/** The bus core's logger on NestJS's `Logger` (and so on the application's logger, pino). */
export const NEST_BUS_LOGGER: BusLoggerFactory = (context) => {
  const logger = new Logger(context);
  return {
    debug: (message) => logger.debug(message),
    log: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
};
