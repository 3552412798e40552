import { runServices } from '@runlog/platform';
import { consoleService } from './console.service-definition';

void runServices([consoleService()]);
