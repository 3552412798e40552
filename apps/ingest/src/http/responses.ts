// The bodies ingest answers, apart from the controller that sends them and the OpenAPI
// schemas that describe them (./openapi), so neither imports the other.
import { type Family } from '@runlog/contracts';
import { type ErrorBody } from '@runlog/platform';
import { type AcceptedEvent, type FailedEvent, type RejectedEvent } from '../intake/intake.service';

/** 202: every event written (or sent live). */
export interface AcceptedBody {
  readonly accepted: readonly AcceptedEvent[];
}
/** 400: nothing written; every invalid event with every error. */
export interface RejectedBody extends ErrorBody {
  readonly rejected: readonly RejectedEvent[];
}
/** 503: JetStream did not take some events; `accepted` were written. Retrying the batch is safe. */
export interface UnavailableBody extends ErrorBody {
  readonly accepted: readonly AcceptedEvent[];
  readonly failed: readonly FailedEvent[];
}

export interface FamilyInfo {
  readonly family: Family;
  readonly stream: string;
  readonly messages: number;
  readonly first_cursor: string | null;
  readonly last_cursor: string | null;
}
