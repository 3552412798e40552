import { type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { deadLetterSubject, type Family, HEADERS } from '@runlog/contracts';
import { type Publisher } from '../publisher/publisher';
import { DEAD_LETTER_HEADERS, type DeadLetterCause } from './dead-letter-format';

/** Where the original of a delivered message lives (for a re-driven one: its first home). */
export interface Origin {
  readonly stream: string;
  readonly cursor: string;
  readonly subject: string;
}

export interface DeadLetterRequest {
  readonly consumer: string;
  /** `unknown` only for input that names no family (async ingress). */
  readonly family: Family | 'unknown';
  readonly cause: DeadLetterCause;
  readonly reason: string;
  readonly origin: Origin;
  readonly message: JsMsg;
}

/** Headers a dead letter does not copy from its original: the bus sets its own. */
function isDeadLetterHeader(name: string): boolean {
  return (
    name.toLowerCase().startsWith('runlog-dl-') ||
    name.toLowerCase() === HEADERS.msgId.toLowerCase()
  );
}

/**
 * Publishes a dead letter: the original body byte for byte, the original headers, and why
 * (dead-letter-format.ts). Its msgID is derived from where the delivery came from, so a
 * crash between this publish and the ack does not park the same delivery twice.
 */
export async function publishDeadLetter(
  publisher: Publisher,
  request: DeadLetterRequest,
): Promise<void> {
  const { message, origin } = request;
  const headers: MsgHdrs = natsHeaders();
  for (const [name, values] of message.headers ?? []) {
    if (isDeadLetterHeader(name)) continue;
    for (const value of values) headers.append(name, value);
  }
  const originalId =
    message.headers?.get(HEADERS.msgId) || message.headers?.get(DEAD_LETTER_HEADERS.msgId);
  if (originalId) headers.set(DEAD_LETTER_HEADERS.msgId, originalId);
  headers.set(DEAD_LETTER_HEADERS.reason, oneLine(request.reason));
  headers.set(DEAD_LETTER_HEADERS.cause, request.cause);
  headers.set(DEAD_LETTER_HEADERS.stream, origin.stream);
  headers.set(DEAD_LETTER_HEADERS.sequence, origin.cursor);
  headers.set(DEAD_LETTER_HEADERS.subject, origin.subject);
  headers.set(DEAD_LETTER_HEADERS.consumer, request.consumer);
  headers.set(DEAD_LETTER_HEADERS.deliveries, String(message.info.deliveryCount));
  headers.set(DEAD_LETTER_HEADERS.at, new Date().toISOString());
  headers.set(HEADERS.msgId, `dl:${request.consumer}:${message.info.stream}:${message.seq}`);
  await publisher.publishRaw(
    deadLetterSubject(request.consumer, request.family),
    message.data,
    headers,
  );
}

// Header values cannot hold line breaks; keep the reason readable and bounded.
function oneLine(reason: string): string {
  const flat = reason.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > 2000 ? `${flat.slice(0, 1997)}...` : flat || 'no reason given';
}
