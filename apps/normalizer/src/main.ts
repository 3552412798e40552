import { runServices } from '@runlog/platform';
import { normalizerService } from './normalizer.service-definition';

void runServices([normalizerService]);
