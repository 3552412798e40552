/** CloudEvents binary mode (HTTP and NATS bindings): attributes travel as `ce-<name>` headers. */
export const BINARY_PREFIX = 'ce-';

/**
 * The structured form of a binary-mode CloudEvent: every `ce-<name>` header becomes the
 * attribute `<name>` (`sourceseq` a number when it is one), and the body becomes `data`.
 * Header values arrive already decoded by the binding.
 */
export function binaryModeEvent(
  headers: Iterable<readonly [string, string]>,
  data: unknown,
): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(BINARY_PREFIX)) continue;
    const attribute = lower.slice(BINARY_PREFIX.length);
    event[attribute] =
      // Every decimal becomes a number, so decode names a too large one `out_of_range`.
      attribute === 'sourceseq' && /^\d+$/.test(value) ? Number(value) : value;
  }
  event['data'] = data;
  return event;
}
