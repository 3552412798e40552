// The agent → canonical mapping (DESIGN.md §3): pure, no NestJS, no NATS.
export {
  mapAgentEvent,
  NORMALIZER_SOURCE,
  CANONICAL_VISIBILITY,
  type AgentEventInput,
  type AgentMapping,
  type CanonicalOutput,
} from './map-agent-event';
export { NEW_RUN, startRun, finishRun, touchesRunState, type RunState } from './run-state';
export { DURABILITY_MODES, persists, type DurabilityMode } from './durability';
export { FIXED_FACTS, FINISH_KINDS, type Fact } from './agent-facts';
