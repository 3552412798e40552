import { type Family, type GapFamilies } from '@runlog/contracts';

/** A contiguous range of one source's dropped `sourceseq`s, not yet recorded by a gap event. */
export interface DroppedRange {
  readonly source: string;
  readonly from: number;
  readonly to: number;
  readonly dropped: number;
  /** When the first of them was dropped (epoch ms). */
  readonly at: number;
  readonly families: GapFamilies;
}

interface OpenRange {
  from: number;
  to: number;
  dropped: number;
  readonly at: number;
  readonly families: Partial<Record<Family, number>>;
}

/**
 * The dropped `sourceseq` ranges of each source (docs/decisions.md D20). A drop that
 * continues the last open range of its source (`sourceseq === to + 1`) extends it; any
 * other starts a new range. {@link seal} hands every open range over, to be recorded as
 * one `producer.gap` event each, and starts afresh.
 */
export class GapTracker {
  private readonly open = new Map<string, OpenRange[]>();
  private ranges = 0;

  /** Open ranges (each becomes one gap event when sealed). */
  get pending(): number {
    return this.ranges;
  }

  record(source: string, sourceseq: number, family: Family, now: number): void {
    const list = this.open.get(source);
    const last = list?.[list.length - 1];
    if (last && sourceseq === last.to + 1) {
      last.to = sourceseq;
      last.dropped++;
      last.families[family] = (last.families[family] ?? 0) + 1;
      return;
    }
    const range: OpenRange = {
      from: sourceseq,
      to: sourceseq,
      dropped: 1,
      at: now,
      families: { [family]: 1 },
    };
    if (list) list.push(range);
    else this.open.set(source, [range]);
    this.ranges++;
  }

  /** Every open range, by source then sourceseq; the tracker is empty afterwards. */
  seal(): DroppedRange[] {
    const sealed: DroppedRange[] = [];
    for (const [source, list] of this.open)
      for (const range of list) sealed.push({ source, ...range, families: { ...range.families } });
    this.open.clear();
    this.ranges = 0;
    return sealed;
  }
}
