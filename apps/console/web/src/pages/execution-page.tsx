import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, describeError, getJson, segment, streamUrl } from '../api';
import { formatMs, formatTime, json } from '../format';
import { at, eventTime, timeline } from '../lease/timeline';
import { type HistoryEvent, type HistoryPage, type Lease } from '../types';

const HISTORY_PAGE = 1_000;
/** Pages read at open; more on demand ("Load more"), so a long history stays usable. */
const FIRST_PAGES = 5;

function outcomeText(outcome: Lease['outcome']): string {
  if (outcome === null) return 'not completed';
  return typeof outcome === 'string' ? outcome : `other: ${outcome.other}`;
}

/**
 * `/executions/{id}`: the lease of one execution on a time axis, acquired, renewals, expiry or
 * revocation, reclaims and completion, with anomalies marked; live through lease-history's SSE
 * stream once the history is read.
 */
export function ExecutionPage({ executionId }: { executionId: string }) {
  const id = segment(executionId);
  const [lease, setLease] = useState<Lease | undefined>();
  const [events, setEvents] = useState<readonly HistoryEvent[]>([]);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'missing'>('loading');
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState<'connecting' | 'live' | 'off'>('off');
  const [selected, setSelected] = useState<string | undefined>();
  // The cursor the live stream starts after, once every page of the history is read.
  const [liveFrom, setLiveFrom] = useState<string | undefined>();
  const eventsRef = useRef<readonly HistoryEvent[]>([]);
  eventsRef.current = events;

  const readLease = (signal: AbortSignal) =>
    getJson<Lease>('lease-history', `executions/${id}/lease`, {}, signal).then(setLease);

  useEffect(() => {
    const abort = new AbortController();
    const { signal } = abort;

    const open = async () => {
      await readLease(signal).catch((e: unknown) => {
        if (!(e instanceof ApiFailure && e.status === 404)) throw e;
      });
      let all: HistoryEvent[] = [];
      let after: string | null = null;
      for (let page = 0; page < FIRST_PAGES; page++) {
        // An execution with no lease event yet is a 404: an empty history, then live.
        const answer: HistoryPage = await getJson<HistoryPage>(
          'lease-history',
          `executions/${id}/lease-history`,
          { limit: HISTORY_PAGE, after: after ?? undefined },
          signal,
        ).catch((e: unknown) => {
          if (e instanceof ApiFailure && e.status === 404)
            return { execution_id: executionId, events: [], next_after: null };
          throw e;
        });
        all = [...all, ...answer.events];
        after = answer.next_after;
        if (after === null) break;
      }
      setEvents(all);
      setNextAfter(after);
      setState(all.length === 0 ? 'missing' : 'ready');
      // Live once every page is read: the stream replays from the last cursor seen.
      if (after === null) setLiveFrom(all[all.length - 1]?.cursor ?? '0');
    };

    open().catch((e: unknown) => {
      if (!signal.aborted) setError(describeError(e));
    });
    return () => abort.abort();
  }, [id]);

  useEffect(() => {
    if (liveFrom === undefined) return undefined;
    const abort = new AbortController();
    let refresh: ReturnType<typeof setTimeout> | undefined;
    setLive('connecting');
    const source = new EventSource(
      streamUrl('lease-history', 'lease-history/stream', {
        execution_id: executionId,
        after: liveFrom,
      }),
    );
    const onEvent = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as HistoryEvent;
      if (eventsRef.current.some((e) => e.cursor === event.cursor)) return;
      setEvents((list) => [...list, event]);
      setState('ready');
      // The lease's anomalies and state come from lease-history's projection: read it again.
      clearTimeout(refresh);
      refresh = setTimeout(() => void readLease(abort.signal).catch(() => undefined), 250);
    };
    for (const kind of ['acquired', 'renewed', 'expired', 'reclaimed', 'revoked'])
      source.addEventListener(kind, onEvent);
    source.addEventListener('caught_up', () => setLive('live'));
    // EventSource reconnects by itself, sending Last-Event-ID: lease-history resumes there.
    source.onerror = () => setLive('connecting');
    return () => {
      abort.abort();
      source.close();
      clearTimeout(refresh);
    };
  }, [id, liveFrom]);

  const loadMore = async () => {
    if (nextAfter === null) return;
    try {
      const answer = await getJson<HistoryPage>('lease-history', `executions/${id}/lease-history`, {
        limit: HISTORY_PAGE,
        after: nextAfter,
      });
      const all = [...events, ...answer.events];
      setEvents(all);
      setNextAfter(answer.next_after);
      if (answer.next_after === null) setLiveFrom(all[all.length - 1]?.cursor ?? '0');
    } catch (e) {
      setError(describeError(e));
    }
  };

  const line = timeline(events, lease, Date.now());
  const selectedEvent = events.find((e) => e.cursor === selected);
  return (
    <section aria-labelledby="execution-title">
      <h1 id="execution-title">Execution {executionId}</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {state === 'loading' && !error && <p aria-busy="true">Loading…</p>}
      {state === 'missing' && <p>lease-history has no lease event for this execution.</p>}
      {lease && (
        <dl class="summary">
          <dt>State</dt>
          <dd>
            <span class={`badge lease-${lease.state}`}>{lease.state}</span>
          </dd>
          <dt>Owner</dt>
          <dd>{lease.owner ?? '—'}</dd>
          <dt>Lease</dt>
          <dd>{lease.lease_id ?? '—'}</dd>
          <dt>Acquired</dt>
          <dd>{formatTime(lease.acquired_at)}</dd>
          <dt>Renewals</dt>
          <dd>{lease.renewals}</dd>
          <dt>Completion</dt>
          <dd data-testid="outcome">{outcomeText(lease.outcome)}</dd>
          <dt>Anomalies</dt>
          <dd>{lease.anomalies.length + (lease.anomalies_omitted ?? 0)}</dd>
        </dl>
      )}
      <p class="live">
        {live === 'live'
          ? 'Live: new lease events appear as they arrive'
          : live === 'connecting'
            ? 'Connecting to the live stream…'
            : nextAfter !== null
              ? 'Not live yet: it follows new events once the whole history is read'
              : ''}
      </p>
      {events.length > 0 && (
        <figure class="timeline" aria-labelledby="timeline-caption">
          <figcaption id="timeline-caption">
            Lease timeline, {formatTime(new Date(line.start).toISOString())} to{' '}
            {formatTime(new Date(line.end).toISOString())} ({formatMs(line.end - line.start)})
          </figcaption>
          <div class="track" aria-hidden="true">
            {line.holdings.map((h, i) => (
              <span
                key={i}
                class={`holding ${h.to === undefined ? 'held' : ''}`}
                style={{
                  left: `${at(line, h.from)}%`,
                  width: `${Math.max(0.5, at(line, h.to ?? line.end) - at(line, h.from))}%`,
                }}
                title={`held by ${h.owner ?? 'unknown'}${h.endedBy ? `, until ${h.endedBy}` : ''}`}
              />
            ))}
          </div>
          <div class="markers">
            {events.map((event) => {
              const anomalies = line.anomaliesByCursor.get(event.cursor) ?? [];
              return (
                <button
                  type="button"
                  key={event.cursor}
                  class={`marker kind-${event.kind}${anomalies.length > 0 ? ' anomaly' : ''}`}
                  style={{ left: `${at(line, eventTime(event))}%` }}
                  aria-pressed={selected === event.cursor}
                  aria-label={`${event.kind} at ${formatTime(new Date(eventTime(event)).toISOString())}${anomalies.length > 0 ? `, anomaly: ${anomalies.map((a) => a.code).join(', ')}` : ''}`}
                  onClick={() => setSelected(selected === event.cursor ? undefined : event.cursor)}
                >
                  {anomalies.length > 0 ? '!' : ''}
                </button>
              );
            })}
          </div>
          <ul class="legend">
            {['acquired', 'renewed', 'expired', 'reclaimed', 'revoked'].map((kind) => (
              <li key={kind}>
                <span class={`swatch kind-${kind}`} aria-hidden="true" /> {kind}
              </li>
            ))}
            <li>
              <span class="swatch anomaly" aria-hidden="true" /> anomaly
            </li>
          </ul>
        </figure>
      )}
      {selectedEvent && (
        <section class="details" aria-labelledby="event-title">
          <h2 id="event-title">
            {selectedEvent.kind} (cursor {selectedEvent.cursor})
          </h2>
          <pre>{json(selectedEvent)}</pre>
        </section>
      )}
      {events.length > 0 && (
        <table class="history">
          <caption>Lease events in cursor order</caption>
          <thead>
            <tr>
              <th scope="col">Cursor</th>
              <th scope="col">Kind</th>
              <th scope="col">At (UTC)</th>
              <th scope="col">Owner / lease</th>
              <th scope="col">Anomalies</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => {
              const anomalies = line.anomaliesByCursor.get(event.cursor) ?? [];
              const d = event.data;
              const who = [
                d['worker_instance_id'],
                d['new_owner'],
                d['prev_owner'],
                d['revoked_by'],
              ]
                .filter((v): v is string => typeof v === 'string')
                .join(', ');
              const leaseId = [d['lease_id'], d['new_lease_id']].find((v) => typeof v === 'string');
              return (
                <tr
                  key={event.cursor}
                  data-kind={event.kind}
                  class={anomalies.length > 0 ? 'anomaly' : undefined}
                >
                  <td>{event.cursor}</td>
                  <th scope="row">{event.kind}</th>
                  <td>{formatTime(new Date(eventTime(event)).toISOString())}</td>
                  <td>
                    {who || '—'}
                    {typeof leaseId === 'string' && ` / ${leaseId}`}
                  </td>
                  <td>
                    {anomalies.length === 0
                      ? '—'
                      : anomalies.map((a) => (
                          <div key={a.code}>
                            <code>{a.code}</code>: {a.message}
                          </div>
                        ))}
                  </td>
                </tr>
              );
            })}
            {lease?.outcome != null && (
              <tr data-kind="completed">
                <td>—</td>
                <th scope="row">completed</th>
                <td>—</td>
                <td>{outcomeText(lease.outcome)}</td>
                <td>—</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {nextAfter !== null && (
        <p>
          <button type="button" onClick={() => void loadMore()}>
            Load more history
          </button>
        </p>
      )}
    </section>
  );
}
