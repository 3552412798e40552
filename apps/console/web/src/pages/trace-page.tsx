import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiFailure, describeError, getJson, segment } from '../api';
import { formatCost, formatMs, formatTime, formatTokens } from '../format';
import { eventsOf, initiallyCollapsed, visibleRows } from '../trace/rows';
import { SpanDetails } from '../trace/span-details';
import { Waterfall } from '../trace/waterfall';
import {
  type TraceEvent,
  type TracePage as EventsPage,
  type TraceTree,
  type TraceUsage,
  type TraceWarning,
} from '../types';
import { StatusBadge } from './status-badge';

/** Events per page read; a large trace is read a page at a time, on demand. */
const EVENTS_PAGE = 500;
/**
 * trace-store has no stream of trace events (only lease-history has SSE), so an open trace
 * is polled: every second while it is open, every five once it has ended (late events).
 */
const POLL_OPEN_MS = 1_000;
const POLL_ENDED_MS = 5_000;
/** Warnings marked on rows: the first of them (the list itself shows all it was given). */
const MARKED_WARNINGS = 200;

interface Loaded {
  readonly tree: TraceTree;
  readonly usage: TraceUsage;
  readonly events: readonly TraceEvent[];
  readonly nextAfter: string | null;
  readonly warnings: readonly TraceWarning[];
  readonly warningsOmitted: number;
  readonly checkedAt: string;
}

export function TracePage({ requestId }: { requestId: string }) {
  const id = segment(requestId);
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<{ message: string; missing: boolean } | undefined>();
  const [collapsed, setCollapsed] = useState<Set<string> | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [loadingEvents, setLoadingEvents] = useState(false);
  // The latest state, for the poll loop (which outlives renders).
  const latest = useRef<Loaded | undefined>(undefined);
  latest.current = loaded;

  useEffect(() => {
    const abort = new AbortController();
    const { signal } = abort;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const first = async () => {
      const [tree, usage, page] = await Promise.all([
        getJson<TraceTree>('trace-store', `traces/${id}/tree`, {}, signal),
        getJson<TraceUsage>('trace-store', `traces/${id}/usage`, {}, signal),
        getJson<EventsPage>('trace-store', `traces/${id}`, { limit: EVENTS_PAGE }, signal),
      ]);
      setCollapsed(initiallyCollapsed(tree.roots));
      setLoaded({
        tree,
        usage,
        events: page.events,
        nextAfter: page.next_after,
        warnings: page.warnings,
        warningsOmitted: page.warnings_omitted ?? 0,
        checkedAt: new Date().toISOString(),
      });
    };

    // One poll: the tree and usage again; new events too once every page is read.
    const poll = async () => {
      const before = latest.current;
      if (!before) return;
      const [tree, usage] = await Promise.all([
        getJson<TraceTree>('trace-store', `traces/${id}/tree`, {}, signal),
        getJson<TraceUsage>('trace-store', `traces/${id}/usage`, {}, signal),
      ]);
      const fresh: TraceEvent[] = [];
      const last = before.events[before.events.length - 1];
      if (before.nextAfter === null && last) {
        let after: string | null = last.cursor;
        while (after !== null && !signal.aborted) {
          const page: EventsPage = await getJson<EventsPage>(
            'trace-store',
            `traces/${id}`,
            { limit: EVENTS_PAGE, after },
            signal,
          );
          fresh.push(...page.events);
          after = page.next_after;
        }
      }
      // What changed meanwhile (a page read by "Load more") stays.
      const now = latest.current ?? before;
      const events = fresh.length > 0 ? [...now.events, ...fresh] : now.events;
      setLoaded({ ...now, tree, usage, events, checkedAt: new Date().toISOString() });
    };

    const schedule = () => {
      const status = latest.current?.tree.status;
      timer = setTimeout(
        () => {
          const tick = document.hidden ? Promise.resolve() : poll();
          tick.then(schedule, (e: unknown) => {
            if (signal.aborted) return;
            setError({ message: `live update failed: ${describeError(e)}`, missing: false });
            schedule();
          });
        },
        status === 'open' ? POLL_OPEN_MS : POLL_ENDED_MS,
      );
    };

    first().then(schedule, (e: unknown) => {
      if (signal.aborted) return;
      setError({
        message: describeError(e),
        missing: e instanceof ApiFailure && e.status === 404,
      });
    });
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [id]);

  const rows = useMemo(
    () => (loaded && collapsed ? visibleRows(loaded.tree.roots, collapsed) : []),
    [loaded?.tree, collapsed],
  );
  const selectedRow = rows.find((row) => row.id === selected);

  // Rows an event of a warning belongs to (among the events read so far).
  const warnedRows = useMemo(() => {
    const marked = new Set<string>();
    if (!loaded) return marked;
    const byId = new Map(loaded.events.map((event) => [event.event_id, event]));
    const warnedEvents = loaded.warnings
      .slice(0, MARKED_WARNINGS)
      .map((w) => (w.event_id === undefined ? undefined : byId.get(w.event_id)))
      .filter((event): event is TraceEvent => event !== undefined);
    if (warnedEvents.length === 0) return marked;
    for (const row of rows) if (eventsOf(row.node, warnedEvents).length > 0) marked.add(row.id);
    return marked;
  }, [loaded?.events, loaded?.warnings, rows]);

  // One page at a time, whatever the clicks: a second read of the same page would repeat it.
  const reading = useRef(false);
  const loadMore = async () => {
    const current = latest.current;
    if (!current || current.nextAfter === null || reading.current) return;
    reading.current = true;
    setLoadingEvents(true);
    try {
      const page = await getJson<EventsPage>('trace-store', `traces/${id}`, {
        limit: EVENTS_PAGE,
        after: current.nextAfter,
      });
      const now = latest.current ?? current;
      setLoaded({ ...now, events: [...now.events, ...page.events], nextAfter: page.next_after });
    } catch (e) {
      setError({ message: describeError(e), missing: false });
    } finally {
      reading.current = false;
      setLoadingEvents(false);
    }
  };

  if (error && !loaded)
    return (
      <section aria-labelledby="trace-title">
        <h1 id="trace-title">Trace {requestId}</h1>
        <p role="alert" class="error">
          {error.missing ? `trace-store has no trace ${requestId}.` : error.message}
        </p>
      </section>
    );
  if (!loaded || !collapsed)
    return (
      <section aria-labelledby="trace-title" aria-busy="true">
        <h1 id="trace-title">Trace {requestId}</h1>
        <p>Loading…</p>
      </section>
    );

  const { tree, usage } = loaded;
  const selectedWarnings = selectedRow
    ? loaded.warnings.filter((w) => {
        const event = loaded.events.find((e) => e.event_id === w.event_id);
        return event !== undefined && eventsOf(selectedRow.node, [event]).length > 0;
      })
    : [];
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">Trace {requestId}</h1>
      <dl class="summary">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={tree.status} />
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(tree.started_at)}</dd>
        <dt>Duration</dt>
        <dd>{formatMs(tree.duration_ms)}</dd>
        <dt>Tokens</dt>
        <dd data-testid="total-tokens">{formatTokens(usage.total.total_tokens)}</dd>
        <dt>Cost</dt>
        <dd data-testid="total-cost">{formatCost(usage.total.cost_usd)}</dd>
        <dt>LLM calls</dt>
        <dd>{usage.total.calls}</dd>
      </dl>
      {usage.by_model.length > 0 && (
        <table class="by-model">
          <caption>Usage by model</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Prompt</th>
              <th scope="col">Completion</th>
              <th scope="col">Total</th>
              <th scope="col">Cost</th>
              <th scope="col">Calls</th>
            </tr>
          </thead>
          <tbody>
            {usage.by_model.map((m) => (
              <tr key={m.model}>
                <th scope="row">{m.model}</th>
                <td>{formatTokens(m.prompt_tokens)}</td>
                <td>{formatTokens(m.completion_tokens)}</td>
                <td>{formatTokens(m.total_tokens)}</td>
                <td>{formatCost(m.cost_usd)}</td>
                <td>{m.calls}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="live">
        {tree.status === 'open' ? 'Open: updating every second' : 'Updating every 5 seconds'}
        {' · '}last checked {formatTime(loaded.checkedAt)}
        {error && ` · ${error.message}`}
      </p>
      {tree.truncated && (
        <p class="notice" role="note">
          The tree is cut at {tree.node_limit ?? '?'} entries (limit: {tree.truncated_by}):{' '}
          {tree.omitted ?? 0} later events are not drawn. Their spans still count in the totals.
        </p>
      )}
      {loaded.warnings.length > 0 && (
        <div class="warnings" role="note" aria-labelledby="warnings-title">
          <h2 id="warnings-title">Warnings</h2>
          <ul>
            {loaded.warnings.map((w, i) => (
              <li key={i}>
                <code>{w.code}</code>: {w.message}
                {w.cursor !== undefined && ` (cursor ${w.cursor})`}
              </li>
            ))}
          </ul>
          {loaded.warningsOmitted > 0 && <p>and {loaded.warningsOmitted} more.</p>}
        </div>
      )}
      <div class={selectedRow ? 'trace-view with-details' : 'trace-view'}>
        <div class="waterfall-wrap">
          <Waterfall
            tree={tree}
            rows={rows}
            collapsed={collapsed}
            selected={selected}
            warned={warnedRows}
            onSelect={(rowId) => setSelected(rowId === selected ? undefined : rowId)}
            onToggle={(rowId) => {
              const next = new Set(collapsed);
              if (!next.delete(rowId)) next.add(rowId);
              setCollapsed(next);
            }}
          />
        </div>
        {selectedRow && (
          <SpanDetails
            node={selectedRow.node}
            events={eventsOf(selectedRow.node, loaded.events)}
            eventsRead={loaded.events.length}
            warnings={selectedWarnings}
            moreEvents={loaded.nextAfter !== null}
            loadingEvents={loadingEvents}
            onLoadMore={() => void loadMore()}
            onClose={() => setSelected(undefined)}
          />
        )}
      </div>
    </section>
  );
}
