import { runServices } from '@runlog/platform';
import { consoleService } from '../../console/src/console.service-definition';
import { ingestService } from '../../ingest/src/ingest.service-definition';
import { leaseHistoryService } from '../../lease-history/src/lease-history.service-definition';
import { normalizerService } from '../../normalizer/src/normalizer.service-definition';
import { traceStoreService } from '../../trace-store/src/trace-store.service-definition';
import { ensureLocalNats, type LocalNats } from './local-nats';

/**
 * `npm start`: all four services and the web console in one process on their DESIGN.md
 * ports, with a local nats-server started when none is configured or running.
 */
let localNats: LocalNats | undefined;
const services = [ingestService, normalizerService, leaseHistoryService, traceStoreService];
void runServices([...services, consoleService()], {
  beforeStart: async () => {
    localNats = await ensureLocalNats(process.env.RUNLOG_DATA_DIR?.trim() || './data');
  },
  afterStop: async () => {
    await localNats?.stop();
  },
});
