import { ApiOperation } from '@nestjs/swagger';
import { Controller, Get, Inject, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { RUNLOG_CONFIG } from '../config/runlog-config.module';
import { type RunlogConfig } from '../config/runlog-config';
import { identifiedCallerOf, RequireScope } from '../http/auth';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

/** What `/health/ready` says to anyone: up or not, and nothing about internals. */
export interface PublicReadiness {
  readonly status: HealthCheckResult['status'];
  readonly warnings?: readonly string[];
}

const AUTH_OFF_WARNING =
  'RUNLOG_AUTH=off: every route answers anyone who can reach this port without a key';

/**
 * `GET /health/live` (the process answers) and `GET /health/ready` (DESIGN.md §4). Both
 * are open, as probes must be; with keys set, `ready` shows its details (addresses,
 * stream counts, the reason a check is down) only to a caller with a valid key.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(RUNLOG_CONFIG) private readonly config: RunlogConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @HealthCheck()
  @RequireScope('public')
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: NATS, the streams and the store are up' })
  @HealthCheck()
  @RequireScope('public')
  async ready(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthCheckResult | PublicReadiness> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(
        this.checks.map((readiness) => async () => {
          const session = this.indicators.check(readiness.name);
          try {
            return session.up((await readiness.check()) ?? {});
          } catch (error) {
            return session.down({
              message: error instanceof Error ? error.message : String(error),
            });
          }
        }),
      );
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
      void reply.status(503);
    }
    const warnings = this.config.auth === 'off' ? [AUTH_OFF_WARNING] : [];
    const extra = warnings.length > 0 ? { warnings } : {};
    if (identifiedCallerOf(request) === undefined) return { status: result.status, ...extra };
    return { ...result, ...extra };
  }
}
