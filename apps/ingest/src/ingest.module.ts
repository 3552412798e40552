import { type DynamicModule, Module } from '@nestjs/common';
import { Bus } from '@runlog/bus';
import {
  DEADLETTER_STREAM,
  DURABLES,
  FAMILIES,
  INGEST_STREAM,
  streamName,
} from '@runlog/contracts';
import {
  consumerReadiness,
  deadLettersController,
  type RunlogConfig,
  serviceImports,
} from '@runlog/platform';
import { AsyncIngress } from './async-ingress/async-ingress';
import { EventsController } from './http/events.controller';
import { FamilyStreamController } from './http/family-stream.controller';
import { IntakeService } from './intake/intake.service';
import { OtlpController } from './otlp/otlp.controller';

/** The ingest service: validates events from producers (HTTP and async ingress) and publishes them to the family streams. */
@Module({})
export class IngestModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: serviceImports(config, 'ingest', {
        streams: [...FAMILIES.map(streamName), INGEST_STREAM, DEADLETTER_STREAM],
        readiness: {
          inject: [Bus],
          useFactory: (bus: Bus) => [consumerReadiness(bus, INGEST_STREAM, DURABLES.ingest)],
        },
      }),
      controllers: [
        EventsController,
        FamilyStreamController,
        OtlpController,
        deadLettersController('ingest', [DURABLES.ingest]),
      ],
      providers: [IntakeService, AsyncIngress],
    };
  }
}
