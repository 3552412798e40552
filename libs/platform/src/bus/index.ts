export { busOptionsFromConfig } from './bus-config';
export {
  consumerBacklog,
  consumerReadiness,
  natsReadiness,
  streamsReadiness,
} from './bus-readiness';
