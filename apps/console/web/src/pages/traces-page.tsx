import { useEffect, useState } from 'preact/hooks';
import { describeError, getJson, segment } from '../api';
import { formatCost, formatMs, formatTime, formatTokens } from '../format';
import { navigate, onInternalClick } from '../router';
import { TRACE_STATUSES, type TraceSearchAnswer } from '../types';
import { StatusBadge } from './status-badge';

// `/traces`: the filters of `GET /v1/traces` kept in the page's URL, so a search has a
// stable address; `after` pages on, and the trail of earlier pages goes back.

const FILTERS = ['since', 'until', 'op', 'status', 'min_duration_ms', 'limit'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Readonly<Partial<Record<Filter, string>>>;

function filtersOf(query: URLSearchParams): Filters {
  const filters: Partial<Record<Filter, string>> = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

function href(filters: Filters, pages: readonly string[] = []): string {
  const query = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) query.set(name, filters[name]);
  // `pages`: the `after` of every page so far, so Previous can step back.
  if (pages.length > 0) query.set('pages', pages.join(','));
  const search = query.toString();
  return `/traces${search ? `?${search}` : ''}`;
}

/** `datetime-local` speaks local time without a zone; the API takes RFC 3339. */
function toInstant(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function TracesPage({ query }: { query: URLSearchParams }) {
  const filters = filtersOf(query);
  const pages = (query.get('pages') ?? '').split(',').filter((p) => p !== '');
  const after = pages[pages.length - 1];
  const [answer, setAnswer] = useState<TraceSearchAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const key = href(filters, pages);

  useEffect(() => {
    const abort = new AbortController();
    setError(undefined);
    getJson<TraceSearchAnswer>(
      'trace-store',
      'traces',
      {
        since: toInstant(filters.since),
        until: toInstant(filters.until),
        op: filters.op,
        status: filters.status,
        min_duration_ms: filters.min_duration_ms,
        limit: filters.limit ?? '50',
        after,
      },
      abort.signal,
    ).then(setAnswer, (e: unknown) => {
      if (!abort.signal.aborted) setError(describeError(e));
    });
    return () => abort.abort();
  }, [key]);

  const longest = Math.max(1, ...(answer?.traces ?? []).map((t) => t.duration_ms));
  return (
    <section aria-labelledby="traces-title">
      <h1 id="traces-title">Traces</h1>
      <SearchForm filters={filters} />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {answer && (
        <>
          <table class="traces">
            <caption>
              {answer.traces.length === 0
                ? 'No trace matches.'
                : `${answer.traces.length} traces, newest first${pages.length > 0 ? `, page ${pages.length + 1}` : ''}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Started (UTC)</th>
                <th scope="col">Duration</th>
                <th scope="col">Status</th>
                <th scope="col">Ops</th>
                <th scope="col">Errors</th>
                <th scope="col">Tokens</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {answer.traces.map((trace) => (
                <tr key={trace.request_id} data-request-id={trace.request_id}>
                  <th scope="row">
                    <a href={`/traces/${segment(trace.request_id)}`} onClick={onInternalClick}>
                      {trace.request_id}
                    </a>
                  </th>
                  <td>{formatTime(trace.started_at)}</td>
                  <td class="duration">
                    <span
                      class={`bar status-${trace.status}`}
                      style={{ width: `${Math.max(1, (trace.duration_ms / longest) * 100)}%` }}
                      aria-hidden="true"
                    />
                    <span>{formatMs(trace.duration_ms)}</span>
                  </td>
                  <td>
                    <StatusBadge status={trace.status} />
                  </td>
                  <td>{trace.ops}</td>
                  <td>{trace.errors}</td>
                  <td>{formatTokens(trace.total_tokens)}</td>
                  <td>{formatCost(trace.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages of traces">
            <button
              type="button"
              disabled={pages.length === 0}
              onClick={() => navigate(href(filters, pages.slice(0, -1)))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={answer.next_after === null}
              onClick={() => {
                if (answer.next_after) navigate(href(filters, [...pages, answer.next_after]));
              }}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function SearchForm({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState<Partial<Record<Filter, string>>>(filters);
  const field = (name: Filter) => ({
    id: `filter-${name}`,
    name,
    value: draft[name] ?? '',
    onInput: (event: Event) => {
      const target = event.currentTarget as HTMLInputElement | HTMLSelectElement;
      setDraft((d) => ({ ...d, [name]: target.value }));
    },
  });
  return (
    <form
      class="filters"
      role="search"
      aria-label="Search traces"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(href(draft));
      }}
    >
      <div>
        <label for="filter-since">Started at or after</label>
        <input type="datetime-local" step="1" {...field('since')} />
      </div>
      <div>
        <label for="filter-until">Started before</label>
        <input type="datetime-local" step="1" {...field('until')} />
      </div>
      <div>
        <label for="filter-op">Op name</label>
        <input type="text" {...field('op')} />
      </div>
      <div>
        <label for="filter-status">Status</label>
        <select {...field('status')}>
          <option value="">any</option>
          {TRACE_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="filter-min_duration_ms">Minimum duration (ms)</label>
        <input type="number" min="0" step="1" {...field('min_duration_ms')} />
      </div>
      <div>
        <label for="filter-limit">Per page</label>
        <select {...field('limit')}>
          {['50', '25', '100', '500'].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div class="actions">
        <button type="submit">Search</button>
        <button
          type="button"
          onClick={() => {
            setDraft({});
            navigate('/traces');
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
