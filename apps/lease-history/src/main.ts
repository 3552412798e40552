import { runServices } from '@runlog/platform';
import { leaseHistoryService } from './lease-history.service-definition';

void runServices([leaseHistoryService]);
