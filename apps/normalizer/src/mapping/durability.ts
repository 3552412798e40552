import { type Fidelity } from '@runlog/contracts';

/** `NORMALIZER_DURABILITY` (DESIGN.md §3, canonical); the same values as the platform config. */
export const DURABILITY_MODES = ['disabled', 'compacted', 'full_fidelity'] as const;
export type DurabilityMode = (typeof DURABILITY_MODES)[number];

/**
 * Whether a canonical fact of this fidelity is persisted: `disabled` persists nothing,
 * `compacted` all but `observed_runtime`, `full_fidelity` everything.
 */
export function persists(mode: DurabilityMode, fidelity: Fidelity): boolean {
  switch (mode) {
    case 'disabled':
      return false;
    case 'compacted':
      return fidelity !== 'observed_runtime';
    case 'full_fidelity':
      return true;
  }
}
