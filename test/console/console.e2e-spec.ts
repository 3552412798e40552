import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@runlog/testing';
import { type Page } from 'playwright-core';
import {
  type ConsoleFixture,
  leaseEvent,
  READ_KEY,
  root,
  SCREENSHOTS,
  startConsoleFixture,
  TraceEvents,
  WRITE_KEY,
} from './console-fixture';

// Issue 22, first slice: /traces, /traces/{id} and /executions/{id} in a real browser, over
// the services' real APIs, with API keys set (the production shape).

let fx: ConsoleFixture;
let page: Page;

beforeAll(async () => {
  fx = await startConsoleFixture();
  page = await (await fx.context()).newPage();
  // 120 s: ensure-built may build first (CI has built already; then this takes ~25 s).
  // Every page needs the read key: given once, in the header's form, kept for the tab.
  await page.goto(`${fx.consoleUrl}/traces`);
  await page.getByLabel('API key').fill(READ_KEY);
  await page.getByRole('button', { name: 'Use key' }).click();
  await page.getByRole('button', { name: 'Forget key' }).waitFor();
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

afterEach(() => {
  expect(fx.foreignRequests).toEqual([]);
});

/** Resolves once trace-store holds `events` events of the trace (read a page at a time). */
async function stored(requestId: string, events: number): Promise<void> {
  const url = `${fx.traceStoreUrl}/v1/traces/${encodeURIComponent(requestId)}?limit=1000`;
  const headers = { authorization: `Bearer ${READ_KEY}` };
  await waitFor(
    `trace ${requestId} with ${events} events`,
    async () => {
      let count = 0;
      for (let after: string | null = ''; after !== null;) {
        const response = await fetch(after ? `${url}&after=${after}` : url, { headers });
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as { events: unknown[]; next_after: string | null };
        count += body.events.length;
        after = body.next_after;
      }
      return count >= events ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

/**
 * What the checks below read of an element in the page. The tests compile without the DOM
 * library (the root tsconfig is Node's), so the callbacks run in the browser name their own.
 */
interface DomElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly outerHTML: string;
  readonly labels?: { readonly length: number } | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
}

/** The aria-label of what has the keyboard focus ('' when none). */
async function focusedLabel(): Promise<string> {
  return (await page.locator(':focus').getAttribute('aria-label')) ?? '';
}

/** The waterfall's rows as (name, depth), top to bottom. */
async function rows(): Promise<Array<[string, number]>> {
  return page.$$eval('.waterfall tbody tr', (trs: DomElement[]) =>
    trs.map((tr): [string, number] => [
      tr
        .querySelector('.row-name')
        ?.textContent?.replace('⚠', '')
        .replace(/^group/, '')
        .trim() ?? '',
      Number(tr.getAttribute('data-depth')),
    ]),
  );
}

describe('console server', () => {
  it('serves the pages without a key, and the data only with a read key, checked again by the service', async () => {
    for (const path of ['/traces', '/traces/x', '/executions/y']) {
      const response = await fetch(`${fx.consoleUrl}${path}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    const api = `${fx.consoleUrl}/api/trace-store/v1/traces`;
    expect((await fetch(api)).status).toBe(401);
    expect((await fetch(api, { headers: { authorization: `Bearer ${WRITE_KEY}` } })).status).toBe(
      403,
    );
    const ok = await fetch(api, { headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty('traces');
    // `?access_token=` (for EventSource) only on the SSE stream, as on the service itself.
    expect((await fetch(`${api}?access_token=${READ_KEY}`)).status).toBe(401);
    const abort = new AbortController();
    const stream = await fetch(
      `${fx.consoleUrl}/api/lease-history/v1/lease-history/stream?access_token=${READ_KEY}`,
      { signal: abort.signal },
    );
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    abort.abort();
    // Nothing but the services' /v1 routes.
    const escape = await fetch(`${fx.consoleUrl}/api/trace-store/v1/%2e%2e/metrics`, {
      headers: { authorization: `Bearer ${READ_KEY}` },
    });
    expect(escape.status).toBe(404);
    expect((await fetch(`${fx.consoleUrl}/health/live`)).status).toBe(200);
  });
});

describe('/traces and /traces/{id}', () => {
  const requestId = uniqueName('console-req');
  const start = Date.now() - 60_000;
  const trace = new TraceEvents(requestId, start);
  trace
    .add('op_start', 'pipeline', { inputs: { q: 'hi' } })
    .add('op_start', 'pipeline.plan', { inputs: {} })
    .add('llm_usage', 'pipeline.plan', {
      model: 'qwen3-4b',
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      cost_usd: 0.002,
    })
    .add('op_end', 'pipeline.plan', { outputs: {}, status: 'ok', duration_ms: 20, yield_count: 0 })
    .add('group_start', undefined, { name: 'fanout' })
    .add('op_start', 'pipeline.tool', { inputs: { tool: 'search' } })
    .add('annotation', 'pipeline.tool', { key: 'note', value: 'looked it up' })
    .add('media_ref', 'pipeline.tool', {
      handle: 'media://img-1',
      mime: 'image/png',
      size_bytes: 2048,
    })
    .add('op_end', 'pipeline.tool', { outputs: {}, status: 'ok', duration_ms: 30, yield_count: 2 })
    .add('group_end', undefined, { name: 'fanout', status: 'ok' })
    .add('op_start', 'pipeline.answer', { inputs: {} })
    .add('llm_usage', 'pipeline.answer', {
      model: 'qwen3-4b',
      prompt_tokens: 200,
      completion_tokens: 100,
      total_tokens: 300,
      cost_usd: 0.004,
    })
    .add('op_end', 'pipeline.answer', {
      outputs: {},
      status: 'error',
      duration_ms: 20,
      yield_count: 0,
    })
    .add('op_end', 'pipeline', { outputs: {}, status: 'ok', duration_ms: 130, yield_count: 0 });

  beforeAll(async () => {
    await fx.post(trace.events);
    await stored(requestId, trace.events.length);
  }, 30_000);

  it('finds the trace with the search filters, with its status, tokens and cost', async () => {
    await page.goto(`${fx.consoleUrl}/traces`);
    await page.getByLabel('Op name').fill('pipeline.tool');
    await page.getByLabel('Status').selectOption('error');
    await page.getByLabel('Minimum duration (ms)').fill('100');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/op=pipeline.tool/);
    const row = page.locator(`tr[data-request-id="${requestId}"]`);
    await row.waitFor();
    expect(await page.locator('.traces tbody tr').count()).toBe(1);
    const text = await row.innerText();
    expect(text).toContain('error');
    expect(text).toContain('450');
    expect(text).toContain('$0.0060');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-traces.png') });

    // A filter that matches nothing, in the URL (a stable address).
    await page.goto(`${fx.consoleUrl}/traces?op=pipeline.tool&status=ok`);
    await page.getByText('No trace matches.').waitFor();
  });

  it('opens the waterfall: rows in tree order and nesting, status, yields and usage per span', async () => {
    await page.goto(`${fx.consoleUrl}/traces`);
    await page.getByRole('link', { name: requestId }).click();
    await page.waitForURL(`**/traces/${requestId}`);
    await page.locator('.waterfall tbody tr').first().waitFor();
    expect(await rows()).toEqual([
      ['pipeline', 0],
      ['pipeline.plan', 1],
      ['fanout', 1],
      ['pipeline.tool', 2],
      ['pipeline.answer', 1],
    ]);
    const plan = page.locator('tr[data-row="0.0"]');
    expect(await plan.innerText()).toMatch(/150[\s\S]*\$0\.0020/);
    const tool = page.locator('tr[data-row="0.1.0"]');
    expect(await tool.locator('td').nth(3).innerText()).toBe('2'); // yields
    expect(await page.locator('tr[data-row="0.2"] .badge').innerText()).toBe('error');
    expect(await page.getByTestId('total-tokens').innerText()).toBe('450');
    expect(await page.getByTestId('total-cost').innerText()).toBe('$0.0060');
    expect(await page.locator('tr[data-row="0.1"]').getAttribute('data-type')).toBe('group');

    // A row's details: its events, payloads, annotations and media references.
    await page.getByRole('button', { name: /^Span pipeline\.tool, level 3/ }).click();
    const details = page.locator('.details');
    await details.getByRole('heading', { name: 'Span pipeline.tool' }).waitFor();
    const shown = await details.innerText();
    expect(shown).toContain('note');
    expect(shown).toContain('looked it up');
    expect(shown).toContain('media://img-1');
    expect(
      await details
        .locator('[data-event-kind]')
        .evaluateAll((els: DomElement[]) => els.map((e) => e.getAttribute('data-event-kind'))),
    ).toEqual(['op_start', 'annotation', 'media_ref', 'op_end']);

    // Folding a subtree hides its rows.
    await page.getByRole('button', { name: 'Collapse fanout' }).click();
    expect((await rows()).map(([name]) => name)).toEqual([
      'pipeline',
      'pipeline.plan',
      'fanout',
      'pipeline.answer',
    ]);
    await page.getByRole('button', { name: 'Expand fanout' }).click();
    await page.locator('tr[data-row="0.1.0"]').waitFor();

    await page.locator('main').screenshot({ path: join(SCREENSHOTS, 'console-waterfall.png') });
    if (process.env.RUNLOG_UPDATE_DOCS_SCREENSHOT === '1') {
      const docs = join(root, 'docs/console-waterfall.png');
      copyFileSync(join(SCREENSHOTS, 'console-waterfall.png'), docs);
      expect(statSync(docs).size).toBeLessThan(150 * 1024);
    }
  });

  it('is usable from the keyboard, and every control has a label', async () => {
    await page.goto(`${fx.consoleUrl}/traces/${requestId}`);
    await page.locator('.waterfall tbody tr').first().waitFor();
    // An input or select needs a <label> (or aria-label); a button or link, a name.
    const unlabelled = await page.$$eval(
      'button, input, select, textarea, a[href]',
      (elements: DomElement[]) =>
        elements
          .filter((el) => {
            if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
            const field = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
            if (!field) return (el.textContent ?? '').trim() === '';
            return (el.labels?.length ?? 0) === 0;
          })
          .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);

    // Tab reaches the waterfall; Up and Down move between rows; Enter opens a row.
    let focused = '';
    for (let i = 0; i < 40 && !focused.startsWith('Span pipeline,'); i++) {
      await page.keyboard.press('Tab');
      focused = await focusedLabel();
    }
    expect(focused).toMatch(/^Span pipeline, level 1/);
    await page.keyboard.press('ArrowDown');
    expect(await focusedLabel()).toMatch(/^Span pipeline\.plan/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Span pipeline.plan' }).waitFor();
    expect(await page.locator('tr[data-row="0.0"] .row-name').getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it('shows events arriving on an open trace, live', async () => {
    const liveId = uniqueName('console-live');
    const live = new TraceEvents(liveId, Date.now() - 5_000, 100);
    live.add('op_start', 'agent', { inputs: {} });
    await fx.post(live.events);
    await stored(liveId, 1);
    await page.goto(`${fx.consoleUrl}/traces/${liveId}`);
    await page.locator('tr[data-row="0"]').waitFor();
    expect(await page.locator('tr[data-row="0"] .badge').innerText()).toBe('open');

    // While the page is open: a child span starts, then both end.
    let from = live.events.length;
    live.add('op_start', 'agent.step', { inputs: {} });
    await fx.post(live.since(from));
    await page.locator('tr[data-row="0.0"]').waitFor({ timeout: 10_000 });
    expect(await rows()).toEqual([
      ['agent', 0],
      ['agent.step', 1],
    ]);
    from = live.events.length;
    live
      .add('op_end', 'agent.step', { outputs: {}, status: 'ok', duration_ms: 100, yield_count: 0 })
      .add('op_end', 'agent', { outputs: {}, status: 'ok', duration_ms: 200, yield_count: 0 });
    await fx.post(live.since(from));
    await page.locator('tr[data-row="0"] .badge', { hasText: 'ok' }).waitFor({ timeout: 10_000 });
  });
});

describe('a large trace', () => {
  // 551 spans (a root, 50 children, 10 leaves each): 1,102 events, three pages of 500.
  const requestId = uniqueName('console-big');
  const trace = new TraceEvents(requestId, Date.now() - 120_000, 1);
  trace.add('op_start', 'big', { inputs: {} });
  for (let i = 0; i < 50; i++) {
    trace.add('op_start', `big.s${i}`, { inputs: {} });
    for (let j = 0; j < 10; j++)
      trace
        .add('op_start', `big.s${i}.l${j}`, { inputs: { i, j } })
        .add('op_end', `big.s${i}.l${j}`, {
          outputs: {},
          status: 'ok',
          duration_ms: 1,
          yield_count: 0,
        });
    trace.add('op_end', `big.s${i}`, {
      outputs: {},
      status: 'ok',
      duration_ms: 21,
      yield_count: 0,
    });
  }
  trace
    .add('op_end', 'big', { outputs: {}, status: 'ok', duration_ms: 1_100, yield_count: 0 })
    // A broken rule: an end without a start. Kept, and warned about.
    .add('op_end', 'big.ghost', { outputs: {}, status: 'ok', duration_ms: 1, yield_count: 0 });

  beforeAll(async () => {
    await fx.post(trace.events.slice(0, 900));
    await fx.post(trace.events.slice(900));
    await stored(requestId, trace.events.length);
  }, 30_000);

  it('opens folded, says its warnings, and reads the events of a late span page by page', async () => {
    await page.goto(`${fx.consoleUrl}/traces/${requestId}`);
    await page.locator('tr[data-row="0"]').waitFor();
    // Folded below the second level: the root and its 50 children.
    expect(await page.locator('.waterfall tbody tr').count()).toBe(51);
    expect(await page.locator('.warnings').innerText()).toContain('op_end_without_start');

    await page.getByRole('button', { name: 'Expand big.s49' }).click();
    await page.locator('tr[data-row="0.49.9"]').waitFor();
    await page.getByRole('button', { name: /^Span big\.s49\.l9,/ }).click();
    const details = page.locator('.details');
    const read = details.getByTestId('events-read');
    await read.getByText('500 events of the trace read, more to read').waitFor();
    // Its events are on the third page: not read until asked for.
    expect(await details.locator('[data-event-kind]').count()).toBe(0);
    const more = details.getByRole('button', { name: 'Load more events of the trace' });
    await more.click();
    await read.getByText('1000 events of the trace read, more to read').waitFor();
    expect(await details.locator('[data-event-kind]').count()).toBe(0);
    await more.click();
    await read.getByText(`${trace.events.length} events of the trace read, all`).waitFor();
    await details.locator('[data-event-kind="op_end"]').waitFor();
    expect(
      await details
        .locator('[data-event-kind]')
        .evaluateAll((els: DomElement[]) => els.map((e) => e.getAttribute('data-event-kind'))),
    ).toEqual(['op_start', 'op_end']);
    await more.waitFor({ state: 'detached' });
  });
});

describe('/executions/{id}', () => {
  const executionId = uniqueName('console-exec');
  const t0 = Date.now() - 60_000;
  const at = (s: number) => new Date(t0 + s * 1_000).toISOString();
  const lease = (kind: string, s: number, data: Record<string, unknown> = {}) =>
    leaseEvent('lease_history', kind, { execution_id: executionId, at: at(s), ...data });

  beforeAll(async () => {
    await fx.post([
      lease('acquired', 0, { lease_id: 'L1', worker_instance_id: 'w1' }),
      lease('renewed', 10, { lease_id: 'L1', worker_instance_id: 'w1' }),
      lease('expired', 20, { lease_id: 'L1', prev_owner: 'w1' }),
      // A renewal of an expired lease: kept, and flagged as an anomaly.
      lease('renewed', 25, { lease_id: 'L1', worker_instance_id: 'w1' }),
      leaseEvent('completion', 'completed', {
        execution_id: executionId,
        outcome: 'success',
        at: at(30),
      }),
    ]);
    await waitFor(
      `lease of ${executionId} with its anomaly and outcome`,
      async () => {
        const response = await fetch(`${fx.leaseHistoryUrl}/v1/executions/${executionId}/lease`, {
          headers: { authorization: `Bearer ${READ_KEY}` },
        });
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as { anomalies: unknown[]; outcome: unknown };
        return body.anomalies.length > 0 && body.outcome !== null ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
  }, 30_000);

  it('draws the lease on a time axis with its anomaly marked, the completion, and new events live', async () => {
    await page.goto(`${fx.consoleUrl}/executions/${executionId}`);
    await page.getByText('Live: new lease events appear as they arrive').waitFor();
    expect(
      await page
        .locator('.history tbody tr')
        .evaluateAll((trs: DomElement[]) => trs.map((tr) => tr.getAttribute('data-kind'))),
    ).toEqual(['acquired', 'renewed', 'expired', 'renewed', 'completed']);
    expect(await page.getByTestId('outcome').innerText()).toBe('success');
    const markers = page.locator('.timeline .marker');
    expect(await markers.count()).toBe(4);
    const anomalous = page.locator('.timeline .marker.anomaly');
    expect(await anomalous.count()).toBe(1);
    expect(await anomalous.getAttribute('aria-label')).toMatch(/^renewed at .*anomaly: /);
    expect(await page.locator('.history tr.anomaly').count()).toBe(1);

    // Live, through lease-history's SSE stream (proxied, the key as access_token).
    await fx.post([lease('reclaimed', 40, { new_lease_id: 'L2', new_owner: 'w2' })]);
    await page.locator('.timeline .marker.kind-reclaimed').waitFor({ timeout: 10_000 });
    await page.locator('.history tbody tr[data-kind="reclaimed"]').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-execution.png') });
  });
});
