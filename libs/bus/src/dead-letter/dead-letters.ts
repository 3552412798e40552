import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEADLETTER_STREAM, HEADERS } from '@runlog/contracts';
import { type Publisher } from '../publisher/publisher';
import { DEAD_LETTER_HEADERS, type DeadLetter, type DeadLetterCause } from './dead-letter-format';

export interface ListDeadLettersOptions {
  /** At most this many (default 100). */
  readonly limit?: number;
  /** Only dead letters after this sequence of RUNLOG_DEADLETTER (for paging). */
  readonly after?: number;
}

export interface ReplayOptions {
  /** Re-drive only the oldest N (default: all). */
  readonly limit?: number;
}

const PAGE = 1_000;

/** The durable on RUNLOG_DEADLETTER that reads a consumer's re-driven letters of one family. */
export function redriveDurable(consumer: string, family: string): string {
  return `${consumer}-redrive-${family}`;
}

/** The subject a re-driven dead letter is delivered on (docs/decisions.md D3). */
/** The one re-drive durable of a raw-mode consumer (`Bus.consumeRaw`), for every family. */
export function rawRedriveDurable(consumer: string): string {
  return `${consumer}-redrive`;
}

export function redriveSubject(consumer: string, family: string): string {
  return `redrive.${consumer}.${family}`;
}

/**
 * The operator's view of parked messages: list a consumer's dead letters and re-drive
 * them to that consumer once the bug is fixed (KurrentDB's "replay parked messages").
 */
export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly publisher: Publisher,
  ) {}

  /** The dead letters of one durable consumer, oldest first. */
  async list(consumer: string, options: ListDeadLettersOptions = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const ordered = await this.js.consumers.get(DEADLETTER_STREAM, {
      filter_subjects: `deadletter.${consumer}.>`,
      ...(options.after
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.after + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const pending = (await ordered.info(true)).num_pending;
    const wanted = Math.min(limit, pending);
    if (wanted === 0) return [];
    const found: DeadLetter[] = [];
    const batch = await ordered.fetch({ max_messages: wanted, expires: 5_000 });
    for await (const message of batch) {
      found.push(toDeadLetter(message));
      if (found.length >= wanted) break;
    }
    return found;
  }

  /**
   * Re-drives the oldest dead letters of a consumer: each is delivered again to the same
   * durable consumer (with its original stream, cursor and subject) and removed from the
   * dead letters. A truncated one is re-driven with its original body, fetched from its
   * stream; if retention has removed it, it stays parked. Answers how many were re-driven.
   * Only the letters parked when it starts: one that fails again while it runs is parked
   * as a new letter, and is not replayed again (that would never end).
   */
  async replay(consumer: string, options: ReplayOptions = {}): Promise<number> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    const last = (await this.jsm.streams.info(DEADLETTER_STREAM)).state.last_seq;
    let after = 0;
    let replayed = 0;
    while (remaining > 0 && after < last) {
      const page = await this.list(consumer, { limit: Math.min(PAGE, remaining), after });
      const parked = page.filter((letter) => letter.deadLetterSeq <= last);
      if (parked.length === 0) break;
      for (const letter of parked) {
        after = letter.deadLetterSeq;
        if (await this.redrive(letter)) replayed++;
      }
      remaining -= page.length;
    }
    return replayed;
  }

  /**
   * Re-drives the dead letters of a consumer with these sequences of RUNLOG_DEADLETTER
   * (as {@link replay} does). Answers the sequences re-driven; one that is not this
   * consumer's, is gone, or whose truncated original retention removed, is not among them.
   */
  async replayIds(consumer: string, ids: readonly number[]): Promise<number[]> {
    const replayed: number[] = [];
    for (const id of ids) {
      const letter = await this.get(consumer, id);
      if (letter !== undefined && (await this.redrive(letter))) replayed.push(id);
    }
    return replayed;
  }

  /** One dead letter of a consumer by its sequence in RUNLOG_DEADLETTER, if it is there. */
  async get(consumer: string, id: number): Promise<DeadLetter | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const [letter] = await this.list(consumer, { after: id - 1, limit: 1 });
    return letter?.deadLetterSeq === id ? letter : undefined;
  }

  /** Deletes one dead letter of a consumer (it is not re-driven): false if it is not there. */
  async delete(consumer: string, id: number): Promise<boolean> {
    const letter = await this.get(consumer, id);
    if (letter === undefined) return false;
    return this.jsm.streams.deleteMessage(DEADLETTER_STREAM, id, false);
  }

  /** Delivers one letter again to its consumer and removes it; false if its original is gone. */
  private async redrive(letter: DeadLetter): Promise<boolean> {
    const body = letter.truncated ? await this.original(letter) : letter.body;
    if (body === undefined) return false;
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(letter.headers)) {
      if (!REDRIVE_DROPPED.has(name.toLowerCase())) headers.set(name, value);
    }
    headers.set(HEADERS.msgId, `redrive:${letter.deadLetterSeq}`);
    await this.publisher.publishRaw(redriveSubject(letter.consumer, letter.family), body, headers);
    await this.jsm.streams.deleteMessage(DEADLETTER_STREAM, letter.deadLetterSeq, false);
    return true;
  }

  /** The whole original of a truncated dead letter, if its stream still keeps it. */
  async original(letter: DeadLetter): Promise<Uint8Array | undefined> {
    try {
      const stored = await this.jsm.streams.getMessage(letter.originalStream, {
        seq: letter.originalSeq,
      });
      return stored?.data;
    } catch {
      return undefined; // removed by retention (or the stream is gone): nothing to re-drive
    }
  }
}

/** Headers a re-drive does not forward: a new msgID, and the truncation marks of the letter. */
const REDRIVE_DROPPED = new Set(
  [HEADERS.msgId, DEAD_LETTER_HEADERS.truncated, DEAD_LETTER_HEADERS.originalSize].map((name) =>
    name.toLowerCase(),
  ),
);

function toDeadLetter(message: JsMsg): DeadLetter {
  const [, consumer = '', family = ''] = message.subject.split('.');
  const h = message.headers;
  const get = (name: string): string => h?.get(name) ?? '';
  const headers: Record<string, string> = {};
  for (const [name, values] of h ?? []) headers[name] = values.join(',');
  return {
    deadLetterSeq: message.seq,
    consumer,
    family,
    cause: (get(DEAD_LETTER_HEADERS.cause) || 'handler') as DeadLetterCause,
    reason: get(DEAD_LETTER_HEADERS.reason),
    originalStream: get(DEAD_LETTER_HEADERS.stream),
    originalSeq: Number(get(DEAD_LETTER_HEADERS.sequence) || 0),
    originalSubject: get(DEAD_LETTER_HEADERS.subject),
    deliveries: Number(get(DEAD_LETTER_HEADERS.deliveries) || 0),
    at: get(DEAD_LETTER_HEADERS.at),
    headers,
    body: message.data,
    truncated: get(DEAD_LETTER_HEADERS.truncated) === 'true',
    originalSize: Number(get(DEAD_LETTER_HEADERS.originalSize) || message.data.length),
  };
}
