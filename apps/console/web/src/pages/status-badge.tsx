/** A status as text and colour (the text carries it; the colour only repeats it). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}
