import { Counter, Histogram, type Registry } from 'prom-client';
import { type BusMetrics } from './bus-metrics';

/** {@link BusMetrics} as `runlog_bus_*` prom-client metrics on a service's registry. */
export class PromBusMetrics implements BusMetrics {
  private readonly publishedTotal: Counter<'stream'>;
  private readonly duplicatesTotal: Counter<'stream'>;
  private readonly publishFailures: Counter<'stream' | 'code'>;
  private readonly deliveredTotal: Counter<'consumer'>;
  private readonly ackedTotal: Counter<'consumer'>;
  private readonly retriedTotal: Counter<'consumer'>;
  private readonly deadLetteredTotal: Counter<'consumer' | 'cause'>;
  private readonly gapsTotal: Counter<'consumer' | 'family'>;
  private readonly gapMessages: Counter<'consumer' | 'family'>;
  private readonly handlerDuration: Histogram<'consumer'>;
  private readonly batchSizes: Histogram<'consumer'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.publishedTotal = new Counter({
      name: 'runlog_bus_published_total',
      help: 'Events stored by JetStream',
      labelNames: ['stream'],
      registers,
    });
    this.duplicatesTotal = new Counter({
      name: 'runlog_bus_duplicates_total',
      help: 'Publishes answered as duplicates (msgID seen)',
      labelNames: ['stream'],
      registers,
    });
    this.publishFailures = new Counter({
      name: 'runlog_bus_publish_failures_total',
      help: 'Publishes that failed after retries',
      labelNames: ['stream', 'code'],
      registers,
    });
    this.deliveredTotal = new Counter({
      name: 'runlog_bus_delivered_total',
      help: 'Messages delivered to handlers',
      labelNames: ['consumer'],
      registers,
    });
    this.ackedTotal = new Counter({
      name: 'runlog_bus_acked_total',
      help: 'Messages acked after success',
      labelNames: ['consumer'],
      registers,
    });
    this.retriedTotal = new Counter({
      name: 'runlog_bus_retried_total',
      help: 'Messages naked for redelivery',
      labelNames: ['consumer'],
      registers,
    });
    this.deadLetteredTotal = new Counter({
      name: 'runlog_bus_dead_lettered_total',
      help: 'Messages parked in RUNLOG_DEADLETTER',
      labelNames: ['consumer', 'cause'],
      registers,
    });
    this.gapsTotal = new Counter({
      name: 'runlog_bus_gaps_total',
      help: 'Gaps seen by unfiltered consumers',
      labelNames: ['consumer', 'family'],
      registers,
    });
    this.gapMessages = new Counter({
      name: 'runlog_bus_gap_messages_total',
      help: 'Messages removed before a consumer read them',
      labelNames: ['consumer', 'family'],
      registers,
    });
    this.handlerDuration = new Histogram({
      name: 'runlog_bus_handler_seconds',
      help: 'Handler duration per message or batch',
      labelNames: ['consumer'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.batchSizes = new Histogram({
      name: 'runlog_bus_batch_size',
      help: 'Events per batch handler call',
      labelNames: ['consumer'],
      buckets: [1, 10, 50, 100, 250, 500, 1000],
      registers,
    });
  }

  published(stream: string, count: number): void {
    this.publishedTotal.inc({ stream }, count);
  }
  duplicates(stream: string, count: number): void {
    this.duplicatesTotal.inc({ stream }, count);
  }
  publishFailed(stream: string, code: string): void {
    this.publishFailures.inc({ stream, code });
  }
  delivered(consumer: string, count: number): void {
    this.deliveredTotal.inc({ consumer }, count);
  }
  acked(consumer: string, count: number): void {
    this.ackedTotal.inc({ consumer }, count);
  }
  retried(consumer: string, count: number): void {
    this.retriedTotal.inc({ consumer }, count);
  }
  deadLettered(consumer: string, cause: string): void {
    this.deadLetteredTotal.inc({ consumer, cause });
  }
  gap(consumer: string, family: string, missing: number): void {
    this.gapsTotal.inc({ consumer, family });
    this.gapMessages.inc({ consumer, family }, missing);
  }
  handlerSeconds(consumer: string, seconds: number): void {
    this.handlerDuration.observe({ consumer }, seconds);
  }
  batchSize(consumer: string, size: number): void {
    this.batchSizes.observe({ consumer }, size);
  }
}
