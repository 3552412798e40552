export { busOptionsFromConfig } from './bus-config';
export { natsReadiness, streamsReadiness } from './bus-readiness';
