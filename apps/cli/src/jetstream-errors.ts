// The CLI's JetStream error predicates are the bus's one classifier (issue 20).
export { isConsumerNotFound, isStreamNotFound } from '@runlog/bus';
