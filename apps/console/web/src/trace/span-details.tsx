import { formatBytes, formatCost, formatMs, formatTime, formatTokens, json } from '../format';
import { StatusBadge } from '../pages/status-badge';
import { type TraceEvent, type TraceNode, type TraceWarning } from '../types';

/** The selected row: its facts, usage, annotations, media references, events and warnings. */
export function SpanDetails(props: {
  node: TraceNode;
  events: readonly TraceEvent[];
  warnings: readonly TraceWarning[];
  /** How many events of the whole trace are read so far. */
  eventsRead: number;
  moreEvents: boolean;
  loadingEvents: boolean;
  onLoadMore: () => void;
  onClose: () => void;
}) {
  const { node, events } = props;
  return (
    <section class="details" aria-labelledby="details-title">
      <div class="details-head">
        <h2 id="details-title">
          {node.type === 'group' ? 'Group' : 'Span'} {node.name}
        </h2>
        <button type="button" onClick={props.onClose}>
          Close details
        </button>
      </div>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={node.status} />
        </dd>
        {node.op_name !== null && (
          <>
            <dt>Op name</dt>
            <dd>
              <code>{node.op_name}</code>
            </dd>
          </>
        )}
        <dt>Context</dt>
        <dd>
          <code>{node.ctx.join(' › ')}</code>
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(node.started_at)}</dd>
        <dt>Ended</dt>
        <dd>{node.ended_at === null ? 'still open' : formatTime(node.ended_at)}</dd>
        <dt>Duration</dt>
        <dd>{formatMs(node.duration_ms)}</dd>
        <dt>Yields</dt>
        <dd>{node.yield_count}</dd>
        <dt>Usage</dt>
        <dd>
          {node.usage
            ? `${formatTokens(node.usage.prompt_tokens)} prompt + ${formatTokens(node.usage.completion_tokens)} completion = ${formatTokens(node.usage.total_tokens)} tokens, ${formatCost(node.usage.cost_usd)}, ${node.usage.calls} call${node.usage.calls === 1 ? '' : 's'}`
            : 'none'}
        </dd>
      </dl>
      {props.warnings.length > 0 && (
        <div class="warnings" role="note">
          <h3>Warnings</h3>
          <ul>
            {props.warnings.map((w, i) => (
              <li key={i}>
                <code>{w.code}</code>: {w.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <h3>Annotations</h3>
      {node.annotations.length === 0 ? (
        <p>None.</p>
      ) : (
        <dl class="annotations">
          {node.annotations.map((a, i) => (
            <div key={i}>
              <dt>{a.key}</dt>
              <dd>
                <pre>{json(a.value)}</pre>
              </dd>
            </div>
          ))}
        </dl>
      )}
      <h3>Media references</h3>
      {node.media.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul class="media">
          {node.media.map((m, i) => (
            <li key={i}>
              <code>{m.handle}</code> ({m.mime}, {formatBytes(m.size_bytes)})
            </li>
          ))}
        </ul>
      )}
      <h3>Events</h3>
      <p class="events-read" data-testid="events-read">
        {props.eventsRead} events of the trace read, {props.moreEvents ? 'more to read' : 'all'}
      </p>
      {events.length === 0 && !props.moreEvents && <p>No event of this row is loaded.</p>}
      {events.length > 0 && (
        <ol class="events">
          {events.map((event) => (
            <li key={event.cursor} data-event-kind={event.kind}>
              <div>
                <strong>{event.kind}</strong> · {formatTime(event.timestamp)} · seq {event.seq} ·
                cursor {event.cursor}
              </div>
              <details>
                <summary>Payload</summary>
                <pre>{json(event.payload)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
      {props.moreEvents && (
        <p>
          <button type="button" onClick={props.onLoadMore} disabled={props.loadingEvents}>
            {props.loadingEvents ? 'Loading events…' : 'Load more events of the trace'}
          </button>
        </p>
      )}
    </section>
  );
}
