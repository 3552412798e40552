import { GROUP_END_STATUSES } from '@runlog/contracts';
import { addExact, exactSum, exactValue } from './exact-sum';
import {
  amount,
  containerName,
  finite,
  msBetween,
  opEndStatus,
  roundCost,
  text,
  type TraceEventRow,
  type UsageTotals,
} from './trace-model';
import {
  type NodeAnnotation,
  type NodeMedia,
  type TraceNode,
  type TreeTruncation,
  type Unattached,
} from './trace-tree';

// The tree of DESIGN.md §4 built in one pass over a trace's events in (timestamp, seq)
// order, in memory bounded by TreeLimits whatever the trace's length: what GET
// /v1/traces/{id}/tree runs over chunks read from SQL, and buildTree over rows in memory.
// Pure: no NestJS, NATS or SQL.

/** What a tree may hold before it is cut; each bound is checked as an entry is added. */
export interface TreeLimits {
  /** Entries: spans, groups, annotations, media references and unattached events, one each. */
  readonly nodes: number;
  /** Nesting of spans and groups (a root is at depth 1): JSON.stringify fails near 2,500. */
  readonly depth: number;
  /** Characters of the entries' names, ctx, keys, values, handles and mimes together. */
  readonly text: number;
}

export const UNLIMITED: TreeLimits = {
  nodes: Number.POSITIVE_INFINITY,
  depth: Number.POSITIVE_INFINITY,
  text: Number.POSITIVE_INFINITY,
};

/** The parts of a `tree` answer the pass draws (the header comes from elsewhere). */
export interface BuiltTree extends Partial<TreeTruncation> {
  readonly roots: readonly TraceNode[];
  readonly unattached: Unattached;
}

/** A span or group while the pass fills it. */
interface Draft {
  readonly type: 'op' | 'group';
  readonly name: string;
  readonly ctx: readonly string[];
  readonly start: TraceEventRow;
  /** Its node's children, in start order (filled by finish). */
  readonly children: TraceNode[];
  parent: Draft | undefined;
  depth: number;
  end: TraceEventRow | undefined;
  yields: number;
  usage: UsageSum | undefined;
  readonly annotations: NodeAnnotation[];
  readonly media: NodeMedia[];
}

interface UsageSum {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  calls: number;
  cost: number[];
}

/** The containers of one (name, ctx), as foldTrace pairs them (LIFO). */
interface KeyState {
  /** Unended containers in the tree, innermost last. */
  readonly open: Draft[];
  /** Unended containers left out after the cut: they sit above `open`, so ends close them first. */
  omittedOpen: number;
  /** Spans: the most recently started one in the tree. */
  latest: Draft | undefined;
  /** Spans: one started after the cut, so the most recently started one is not in the tree. */
  latestOmitted: boolean;
}

/**
 * Feed it a trace's events in the model's order (orderEvents), then `finish()`. The first
 * entry that does not fit the limits cuts the tree there: from that event on nothing new is
 * added (no span, group, annotation, media or unattached entry), while the spans and groups
 * already in the tree still take their ends, usage and yields, so their status and sums are
 * right. `omitted` counts the events from the cut on that the tree does not show. Memory is
 * the entries kept plus the pairing state of their (name, ctx) keys: an event of a key with
 * no entry after the cut needs nothing kept.
 */
export class TreeBuilder {
  private readonly roots: TraceNode[] = [];
  private readonly drafts: Draft[] = [];
  /** Containers in start order, ended ones dropped from the top as later ones start. */
  private readonly stack: Draft[] = [];
  private readonly spans = new Map<string, KeyState>();
  private readonly groups = new Map<string, KeyState>();
  private readonly unattached = {
    usage: [] as Unattached['usage'][number][],
    annotations: [] as Unattached['annotations'][number][],
    media: [] as Unattached['media'][number][],
  };
  /** OTLP spans (D40): drafts by span id, and children seen before their parent. */
  private readonly bySpan = new Map<string, Draft>();
  private readonly orphans = new Map<string, Draft[]>();
  private entries = 0;
  private chars = 0;
  private cut: TreeTruncation['truncated_by'] | undefined;
  private omitted = 0;

  constructor(private readonly limits: TreeLimits = UNLIMITED) {}

  /** True once the tree is cut: later events need only the fields that update its nodes. */
  get truncated(): boolean {
    return this.cut !== undefined;
  }

  add(row: TraceEventRow): void {
    switch (row.kind) {
      case 'op_start':
      case 'group_start':
        return this.start(row);
      case 'op_end':
      case 'group_end':
        return this.end(row);
      default:
        return this.attach(row);
    }
  }

  /** The tree of the events added; call it once, after the last. */
  finish(): BuiltTree {
    // A node's fields are final only now (its end may come after its children started);
    // drafts are in start order, so a parent's node exists before its children's.
    for (const draft of this.drafts) (draft.parent?.children ?? this.roots).push(toNode(draft));
    const built = { roots: this.roots, unattached: this.unattached };
    if (this.cut === undefined) return built;
    return {
      ...built,
      truncated: true,
      truncated_by: this.cut,
      node_limit: this.limits.nodes,
      omitted: this.omitted,
    };
  }

  private start(row: TraceEventRow): void {
    const group = row.kind === 'group_start';
    const name = containerName(row);
    const states = group ? this.groups : this.spans;
    const key = JSON.stringify([name, row.ctx]);
    const state = states.get(key);
    if (this.cut === undefined) {
      // Once ended before this start, a container stays ended for every later start.
      for (let top = this.stack.at(-1); top?.end !== undefined; top = this.stack.at(-1)) {
        this.stack.pop();
      }
      const type = group ? 'group' : 'op';
      const otel = group ? undefined : otelSpan(row);
      const parent =
        otel === undefined
          ? this.stack.findLast(
              (o) => o.end === undefined && holds(o, { type, name, ctx: row.ctx }),
            )
          : otel.parent === undefined
            ? undefined
            : this.bySpan.get(otel.parent);
      const depth = (parent?.depth ?? 0) + 1;
      if (this.fits(name.length + JSON.stringify(row.ctx).length, depth)) {
        const draft: Draft = {
          type,
          name,
          ctx: row.ctx,
          start: row,
          depth,
          children: [],
          parent,
          end: undefined,
          yields: 0,
          usage: undefined,
          annotations: [],
          media: [],
        };
        this.drafts.push(draft);
        if (otel === undefined) this.stack.push(draft);
        else this.linkSpan(draft, otel);
        const own = state ?? { open: [], omittedOpen: 0, latest: undefined, latestOmitted: false };
        states.set(key, own);
        own.open.push(draft);
        if (!group) own.latest = draft;
        return;
      }
    }
    this.omitted += 1;
    if (state) {
      state.omittedOpen += 1;
      if (!group) state.latestOmitted = true;
    }
  }

  private end(row: TraceEventRow): void {
    const group = row.kind === 'group_end';
    const key = JSON.stringify([containerName(row), row.ctx]);
    const state = (group ? this.groups : this.spans).get(key);
    if (state && state.omittedOpen > 0) {
      state.omittedOpen -= 1;
    } else {
      const closed = state?.open.pop();
      if (closed) {
        closed.end = row;
        return;
      }
    }
    // The end of a container left out, or an end with no open container (a warning).
    if (this.cut !== undefined) this.omitted += 1;
  }

  /**
   * An OTLP span's explicit parentage (D40): a child stored before its parent (same
   * millisecond, earlier export) waits as an orphan and is moved under it when it starts.
   */
  private linkSpan(draft: Draft, otel: { span: string; parent: string | undefined }): void {
    this.bySpan.set(otel.span, draft);
    if (otel.parent !== undefined && draft.parent === undefined) {
      const waiting = this.orphans.get(otel.parent) ?? [];
      waiting.push(draft);
      this.orphans.set(otel.parent, waiting);
    }
    for (const orphan of this.orphans.get(otel.span) ?? []) {
      orphan.parent = draft;
      orphan.depth = draft.depth + 1;
    }
    this.orphans.delete(otel.span);
  }

  /** llm_usage, annotation, media_ref, op_yield: to the span of their (op_name, ctx). */
  private attach(row: TraceEventRow): void {
    const span = this.spanOf(row);
    if (span === 'omitted') {
      this.omitted += 1;
    } else if (span === undefined) {
      if (row.kind !== 'op_yield') this.addUnattached(row);
      else if (this.cut !== undefined) this.omitted += 1;
    } else if (row.kind === 'op_yield') {
      span.yields += 1;
    } else if (row.kind === 'llm_usage') {
      span.usage = addUsage(span.usage, row.payload);
    } else if (row.kind === 'annotation') {
      const entry = annotation(row);
      if (this.fits(entryText(entry))) span.annotations.push(entry);
      else this.omitted += 1;
    } else {
      const entry = media(row);
      if (this.fits(entryText(entry))) span.media.push(entry);
      else this.omitted += 1;
    }
  }

  /**
   * foldTrace's rule: the innermost open span of the event's (op_name, ctx), else the most
   * recently started one (ended), else none; 'omitted' when that span was left out.
   */
  private spanOf(row: TraceEventRow): Draft | 'omitted' | undefined {
    const state = this.spans.get(JSON.stringify([containerName(row), row.ctx]));
    if (state === undefined) return undefined;
    if (state.omittedOpen > 0) return 'omitted';
    return state.open.at(-1) ?? (state.latestOmitted ? 'omitted' : state.latest);
  }

  private addUnattached(row: TraceEventRow): void {
    const origin = { event_id: row.event_id, op_name: row.op_name, ctx: row.ctx };
    if (row.kind === 'llm_usage') {
      const { payload } = row;
      const entry = {
        ...origin,
        model: text(payload, 'model'),
        prompt_tokens: amount(payload, 'prompt_tokens'),
        completion_tokens: amount(payload, 'completion_tokens'),
        total_tokens: amount(payload, 'total_tokens'),
        cost_usd: roundCost(exactSum([amount(payload, 'cost_usd')])),
      };
      if (this.fits(entryText(entry))) this.unattached.usage.push(entry);
      else this.omitted += 1;
    } else if (row.kind === 'annotation') {
      const entry = { ...origin, ...annotation(row) };
      if (this.fits(entryText(entry))) this.unattached.annotations.push(entry);
      else this.omitted += 1;
    } else {
      const entry = { ...origin, ...media(row) };
      if (this.fits(entryText(entry))) this.unattached.media.push(entry);
      else this.omitted += 1;
    }
  }

  /** Takes room for one more entry, or cuts the tree (for good) when it does not fit. */
  private fits(chars: number, depth = 0): boolean {
    if (this.cut !== undefined) return false;
    if (this.entries + 1 > this.limits.nodes) this.cut = 'nodes';
    else if (depth > this.limits.depth) this.cut = 'depth';
    else if (this.chars + chars > this.limits.text) this.cut = 'text';
    else {
      this.entries += 1;
      this.chars += chars;
      return true;
    }
    return false;
  }
}

/** The span and parent ids of an op_start mapped from OTLP (inputs.otel, D40). */
function otelSpan(row: TraceEventRow): { span: string; parent: string | undefined } | undefined {
  if (row.kind !== 'op_start' || row.ctx.length !== 1) return undefined;
  const inputs = row.payload['inputs'];
  if (typeof inputs !== 'object' || inputs === null) return undefined;
  const otel = (inputs as Record<string, unknown>)['otel'];
  if (typeof otel !== 'object' || otel === null) return undefined;
  const { span_id: span, parent_span_id: parent } = otel as Record<string, unknown>;
  if (typeof span !== 'string' || span !== row.ctx[0]) return undefined;
  return { span, parent: typeof parent === 'string' ? parent : undefined };
}

/** Whether an open container may be the parent of a node (the rule of buildTree). */
function holds(
  parent: Pick<Draft, 'type' | 'name' | 'ctx'>,
  node: Pick<Draft, 'type' | 'name' | 'ctx'>,
): boolean {
  if (parent.type === 'group') {
    return parent.ctx.length === node.ctx.length && ctxPrefix(parent.ctx, node.ctx);
  }
  if (!ctxPrefix(parent.ctx, node.ctx)) return false;
  return node.type === 'group' || dottedPrefix(parent.name, node.name);
}

function ctxPrefix(prefix: readonly string[], ctx: readonly string[]): boolean {
  return prefix.length <= ctx.length && prefix.every((part, i) => part === ctx[i]);
}

function dottedPrefix(prefix: string, name: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`);
}

/**
 * The node of one container. A span's op_end duration_ms and yield_count win when they are
 * finite numbers (the producer measured them); otherwise the timestamps' difference and the
 * attached op_yield events stand in.
 */
function toNode(draft: Draft): TraceNode {
  const { start, end } = draft;
  const op = draft.type === 'op';
  const reported = (field: string): number | undefined =>
    op && end !== undefined ? finite(end.payload, field) : undefined;
  return {
    type: draft.type,
    name: draft.name,
    op_name: op ? draft.name : null,
    ctx: draft.ctx,
    status: end === undefined ? 'open' : op ? opEndStatus(end) : groupEndStatus(end),
    started_at: start.timestamp,
    ended_at: end?.timestamp ?? null,
    duration_ms:
      end === undefined
        ? null
        : (reported('duration_ms') ?? msBetween(start.timestamp, end.timestamp)),
    yield_count: reported('yield_count') ?? draft.yields,
    usage: draft.usage === undefined ? null : usageTotals(draft.usage),
    annotations: draft.annotations,
    media: draft.media,
    children: draft.children,
  };
}

/**
 * The status a group_end reports. Ingest admits only ok|truncated; anything else could only
 * come from a row written around ingest and reads as 'ok' rather than throwing.
 */
function groupEndStatus(row: TraceEventRow): (typeof GROUP_END_STATUSES)[number] {
  return GROUP_END_STATUSES.find((s) => s === row.payload['status']) ?? 'ok';
}

function annotation(row: TraceEventRow): NodeAnnotation {
  return { key: text(row.payload, 'key'), value: row.payload['value'] ?? null };
}

function media(row: TraceEventRow): NodeMedia {
  const { payload } = row;
  const size_bytes = finite(payload, 'size_bytes') ?? 0;
  return { handle: text(payload, 'handle'), mime: text(payload, 'mime'), size_bytes };
}

/** An entry's share of the text limit: its JSON, which holds every string it keeps. */
function entryText(entry: object): number {
  return JSON.stringify(entry).length;
}

/** Usage summed as sumUsage sums it: integer tokens, the cost exactly (exact-sum.ts). */
function addUsage(usage: UsageSum | undefined, payload: Record<string, unknown>): UsageSum {
  const sum = usage ?? {
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    calls: 0,
    cost: [],
  };
  sum.prompt_tokens += amount(payload, 'prompt_tokens');
  sum.completion_tokens += amount(payload, 'completion_tokens');
  sum.total_tokens += amount(payload, 'total_tokens');
  sum.calls += 1;
  sum.cost = addExact(sum.cost, amount(payload, 'cost_usd'));
  return sum;
}

function usageTotals(usage: UsageSum): UsageTotals {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    cost_usd: roundCost(exactValue(usage.cost)),
    calls: usage.calls,
  };
}
