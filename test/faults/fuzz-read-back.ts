// Reads every accepted fuzz case back where DESIGN.md says it can be read: trace-store,
// lease-history, the normalizer's canonical stream, the live engine subject, or its
// family stream. Any 5xx on the way is a problem too.
import { type Family, type RunlogEvent } from '@runlog/contracts';
import { describeCase, type FuzzCase } from './fuzz-cases';
import { type FuzzFixture, type HttpAnswer } from './fuzz-fixtures';

type Rec = Record<string, unknown>;

export interface AcceptedCase {
  readonly c: FuzzCase;
  /** Its cursor in its family stream, when the door answered one. */
  readonly cursor?: string;
}

const path = (id: string) => encodeURIComponent(id);

/** The problems found reading back `accepted` (empty when every one reads back). */
export async function readBack(
  fx: FuzzFixture,
  accepted: readonly AcceptedCase[],
): Promise<string[]> {
  const problems: string[] = [];
  const problem = (c: FuzzCase, what: string, answer?: HttpAnswer) => {
    const shown = answer ? `: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 400)}` : '';
    problems.push(`${what}${shown}  <- ${describeCase(c)}`);
  };
  const get = async (c: FuzzCase, url: string): Promise<HttpAnswer> => {
    const answer = await fx.get(url);
    if (answer.status >= 500) problem(c, `GET ${url}`, answer);
    return answer;
  };
  const stored = new Map<Family, Set<string>>();
  const storedIds = async (family: Family) => {
    const known = stored.get(family) ?? (await fx.storedIds(family));
    stored.set(family, known);
    return known;
  };
  let canonical: RunlogEvent<'canonical'>[] | undefined;
  const readCanonical = async () => {
    const { events, undecodable } = await fx.canonical();
    // the normalizer's own output must keep the contract its readers decode with
    for (const cursor of undecodable)
      problems.push(`the normalizer wrote a canonical event that does not decode: ${cursor}`);
    return events;
  };
  const finishes = new Map<string, number>();
  for (const { c } of accepted)
    if (c.valid?.family === 'agent' && c.valid.kind === 'run_finish') {
      const run = c.valid.subject;
      finishes.set(run, (finishes.get(run) ?? 0) + 1);
    }

  for (const { c, cursor } of accepted) {
    const event = c.valid!;
    const data = event.data as unknown as Rec;
    switch (event.family) {
      case 'trace': {
        const id = path(String(data['request_id']));
        const trace = await get(c, `${fx.urls.traces}/v1/traces/${id}?limit=1000`);
        const events = ((trace.body as Rec)['events'] as Rec[] | undefined) ?? [];
        if (trace.status !== 200 || !events.some((e) => e['event_id'] === data['event_id']))
          problem(c, 'accepted trace event not in GET /v1/traces/{id}', trace);
        await get(c, `${fx.urls.traces}/v1/traces/${id}/tree`);
        await get(c, `${fx.urls.traces}/v1/traces/${id}/usage`);
        break;
      }
      case 'lease_history': {
        const id = path(String(data['execution_id']));
        const history = await get(
          c,
          `${fx.urls.leases}/v1/executions/${id}/lease-history?limit=1000`,
        );
        const events = ((history.body as Rec)['events'] as Rec[] | undefined) ?? [];
        if (history.status !== 200 || !events.some((e) => e['id'] === event.id))
          problem(c, 'accepted lease event not in its lease history', history);
        const lease = await get(c, `${fx.urls.leases}/v1/executions/${id}/lease`);
        if (lease.status !== 200) problem(c, 'no lease view for an accepted lease event', lease);
        break;
      }
      case 'agent': {
        canonical ??= await readCanonical();
        // the run's first finish is a fact; a later one is not (DESIGN.md §3)
        if (event.kind === 'run_finish' && (finishes.get(event.subject) ?? 0) > 1) break;
        const found = canonical.some((fact) =>
          data['correlation_id'] === c.tag
            ? fact.data.correlation_id === c.tag
            : cursor !== undefined && fact.data.source_cursor === cursor,
        );
        if (!found && (data['correlation_id'] === c.tag || cursor !== undefined))
          problem(c, 'accepted agent event has no canonical fact');
        break;
      }
      case 'engine':
        if (event.kind !== 'request_served') {
          if (!fx.liveEngineIds.has(event.id))
            problem(c, 'accepted live engine event never reached live.engine.>');
          break;
        }
        if (!(await storedIds('engine')).has(event.id))
          problem(c, 'accepted engine event not in its stream');
        break;
      default: {
        if (event.family === 'completion') {
          const id = path(String(data['execution_id']));
          const lease = await get(c, `${fx.urls.leases}/v1/executions/${id}/lease`);
          if (![200, 404].includes(lease.status)) problem(c, 'GET lease', lease);
        }
        if (!(await storedIds(event.family)).has(event.id))
          problem(c, `accepted ${event.family} event not in its stream`);
      }
    }
  }
  return problems;
}
