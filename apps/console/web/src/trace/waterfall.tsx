import { formatCost, formatMs, formatTokens } from '../format';
import { StatusBadge } from '../pages/status-badge';
import { type TraceTree } from '../types';
import { type WaterfallRow } from './rows';

/** Where a node sits on the trace's time axis, in percent of the trace's span. */
function place(row: WaterfallRow, tree: TraceTree): { left: number; width: number } {
  const t0 = Date.parse(tree.started_at);
  const total = Math.max(1, Date.parse(tree.ended_at) - t0);
  const start = Date.parse(row.node.started_at) - t0;
  const end = row.node.ended_at === null ? total : Date.parse(row.node.ended_at) - t0;
  const left = Math.min(100, Math.max(0, (start / total) * 100));
  return { left, width: Math.max(0.5, Math.min(100 - left, ((end - start) / total) * 100)) };
}

const TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * The waterfall: one row per span or group on the trace's shared time axis, indented as the
 * tree nests. The name is a button that opens the row's details; a row with children has a
 * second button that folds them. Up and Down move between rows.
 */
export function Waterfall(props: {
  tree: TraceTree;
  rows: readonly WaterfallRow[];
  collapsed: ReadonlySet<string>;
  selected: string | undefined;
  warned: ReadonlySet<string>;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
}) {
  const { tree, rows } = props;
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const target = event.target;
    if (!(target instanceof HTMLElement) || !target.classList.contains('row-name')) return;
    const all = [...document.querySelectorAll<HTMLElement>('.waterfall .row-name')];
    const next = all[all.indexOf(target) + (event.key === 'ArrowDown' ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };
  return (
    <table class="waterfall" onKeyDown={onKeyDown}>
      <caption>
        Spans and groups of the trace on one time axis ({formatMs(tree.duration_ms)}), nested as the
        tree nests them
      </caption>
      <thead>
        <tr>
          <th scope="col">Span</th>
          <th scope="col" class="axis">
            <span class="visually-hidden">Timeline</span>
            {TICKS.map((tick) => (
              <span class="tick" style={{ left: `${tick * 100}%` }} aria-hidden="true" key={tick}>
                {formatMs(tick * tree.duration_ms)}
              </span>
            ))}
          </th>
          <th scope="col">Duration</th>
          <th scope="col">Status</th>
          <th scope="col">Yields</th>
          <th scope="col">Tokens</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const { node } = row;
          const { left, width } = place(row, tree);
          const open = !props.collapsed.has(row.id);
          const selected = props.selected === row.id;
          return (
            <tr
              key={row.id}
              data-row={row.id}
              data-depth={row.depth}
              data-type={node.type}
              class={selected ? 'selected' : undefined}
            >
              <th scope="row" class="name" style={{ paddingLeft: `${0.5 + row.depth * 1.25}rem` }}>
                {row.hasChildren ? (
                  <button
                    type="button"
                    class="toggle"
                    aria-expanded={open}
                    aria-label={`${open ? 'Collapse' : 'Expand'} ${node.name}`}
                    onClick={() => props.onToggle(row.id)}
                  >
                    {open ? '▾' : '▸'}
                  </button>
                ) : (
                  <span class="toggle-space" aria-hidden="true" />
                )}
                <button
                  type="button"
                  class="row-name"
                  aria-pressed={selected}
                  aria-label={`${node.type === 'group' ? 'Group' : 'Span'} ${node.name}, level ${row.depth + 1}: show details`}
                  onClick={() => props.onSelect(row.id)}
                >
                  {node.type === 'group' && <span class="kind">group</span>}
                  {node.name}
                  {props.warned.has(row.id) && (
                    <span class="warn-mark" title="a warning concerns this row">
                      {' '}
                      ⚠
                    </span>
                  )}
                </button>
              </th>
              <td class="axis">
                <span
                  class={`bar status-${node.status}`}
                  style={{ left: `${left}%`, width: `${width}%` }}
                  aria-hidden="true"
                />
              </td>
              <td>{formatMs(node.duration_ms)}</td>
              <td>
                <StatusBadge status={node.status} />
              </td>
              <td>{node.yield_count}</td>
              <td>{formatTokens(node.usage?.total_tokens)}</td>
              <td>{formatCost(node.usage?.cost_usd)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
