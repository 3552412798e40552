/**
 * One thing a service needs before it is ready (NATS connected, its streams and
 * consumers in place, its store reachable). `check` resolves with details when it is
 * up and rejects with the reason when it is not.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<Record<string, unknown> | void>;
}

/** Multi-provider token: each service registers its {@link ReadinessCheck}s under it. */
export const READINESS_CHECKS = Symbol.for('runlog.readiness-checks');
