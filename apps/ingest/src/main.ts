import { runServices } from '@runlog/platform';
import { ingestService } from './ingest.service-definition';

void runServices([ingestService]);
