import { runServices } from '@runlog/platform';
import { traceStoreService } from './trace-store.service-definition';

void runServices([traceStoreService]);
