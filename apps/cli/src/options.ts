import { parseCursor } from '@runlog/bus';
import { isValidJetStreamName } from '@runlog/contracts';
import { InvalidArgumentError } from 'commander';

// Parsers of option and argument values: a bad value is a usage error (exit 2) that
// commander reports with the command's help.

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(parsed))
    throw new InvalidArgumentError('must be a positive integer.');
  return parsed;
}

export function cursor(value: string): string {
  try {
    parseCursor(value);
  } catch {
    throw new InvalidArgumentError('must be a cursor (a decimal stream sequence, 0 for all).');
  }
  return value;
}

export function consumerName(value: string): string {
  if (!isValidJetStreamName(value))
    throw new InvalidArgumentError('must be a durable consumer name ([A-Za-z0-9_-]).');
  return value;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  return value.replace(/\/+$/, '');
}
