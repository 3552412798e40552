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

/** Bytes kept free for the subject, the reply inbox and the protocol line. */
const MARGIN_BYTES = 512;
const encoder = new TextEncoder();

/**
 * Publishes a dead letter: the original body byte for byte, the original headers, and why
 * (dead-letter-format.ts). Its msgID is derived from where the delivery came from, so a
 * crash between this publish and the ack does not park the same delivery twice.
 *
 * A dead letter can always be written: when body, headers and reason would not fit the
 * server's `max_payload`, the body is cut to what fits (the original headers are dropped
 * too if they alone do not fit), marked `Runlog-Dl-Truncated: true` with
 * `Runlog-Dl-Original-Size`, and the original stays fetchable by its stream and sequence.
 */
export async function publishDeadLetter(
  publisher: Publisher,
  request: DeadLetterRequest,
): Promise<void> {
  const subject = deadLetterSubject(request.consumer, request.family);
  const limit = publisher.maxPayload - MARGIN_BYTES - encoder.encode(subject).length;
  const { message } = request;
  let headers = deadLetterHeaders(request, true);
  let body = message.data;
  if (headerBytes(headers) + body.length > limit) {
    headers = deadLetterHeaders(request, true, body.length);
    if (headerBytes(headers) > limit / 2) headers = deadLetterHeaders(request, false, body.length);
    body = body.subarray(0, Math.max(0, limit - headerBytes(headers)));
  }
  await publisher.publishRaw(subject, body, headers);
}

/** The dead letter's headers; `originalSize` set marks it truncated. */
function deadLetterHeaders(
  request: DeadLetterRequest,
  copyOriginal: boolean,
  originalSize?: number,
): MsgHdrs {
  const { message, origin } = request;
  const headers: MsgHdrs = natsHeaders();
  for (const [name, values] of copyOriginal ? (message.headers ?? []) : []) {
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
  if (originalSize !== undefined) {
    headers.set(DEAD_LETTER_HEADERS.truncated, 'true');
    headers.set(DEAD_LETTER_HEADERS.originalSize, String(originalSize));
  }
  return headers;
}

/** The size of headers on the wire (`NATS/1.0` line, `name: value` lines, blank line). */
function headerBytes(headers: MsgHdrs): number {
  let bytes = 12;
  for (const [name, values] of headers) {
    for (const value of values) bytes += encoder.encode(`${name}: ${value}\r\n`).length;
  }
  return bytes;
}

// Header values cannot hold line breaks; keep the reason readable and bounded.
function oneLine(reason: string): string {
  const flat = reason.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > 2000 ? `${flat.slice(0, 1997)}...` : flat || 'no reason given';
}
