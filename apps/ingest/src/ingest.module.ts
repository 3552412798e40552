import { type DynamicModule, Module } from '@nestjs/common';
import { DEADLETTER_STREAM, FAMILIES, INGEST_STREAM, streamName } from '@runlog/contracts';
import { type RunlogConfig, serviceImports } from '@runlog/platform';
import { AsyncIngress } from './async-ingress/async-ingress';
import { EventsController } from './http/events.controller';
import { IntakeService } from './intake/intake.service';

/** The ingest service: validates events from producers (HTTP and async ingress) and publishes them to the family streams. */
@Module({})
export class IngestModule {
  static forRoot(config: RunlogConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: serviceImports(config, 'ingest', {
        streams: [...FAMILIES.map(streamName), INGEST_STREAM, DEADLETTER_STREAM],
      }),
      controllers: [EventsController],
      providers: [IntakeService, AsyncIngress],
    };
  }
}
