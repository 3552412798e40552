import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

/**
 * Health endpoints over the readiness checks a service declares, each a factory of
 * injected dependencies: `HealthModule.forRoot({ inject: [Bus], useFactory: (bus) => [...] })`.
 */
@Module({})
export class HealthModule {
  static forRoot(options: {
    inject?: Provider[] | unknown[];
    useFactory: (...deps: never[]) => ReadinessCheck[] | Promise<ReadinessCheck[]>;
  }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [
        {
          provide: READINESS_CHECKS,
          inject: (options.inject ?? []) as never[],
          useFactory: options.useFactory as (...deps: unknown[]) => ReadinessCheck[],
        },
      ],
    };
  }
}
