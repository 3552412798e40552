import { FAMILIES, type Family } from './families';
import {
  DURABLES,
  DEADLETTER_STREAM,
  familyRetention,
  INGEST_STREAM,
  isValidJetStreamName,
  streamName,
} from './streams';
import {
  DEADLETTER_SUBJECT_FILTER,
  deadLetterSubject,
  encodeKeyToken,
  familySubject,
  familySubjectFilter,
  INGEST_SUBJECT_FILTER,
  ingestSubject,
  liveAgentSubject,
  liveEngineSubject,
  parseFamilySubject,
  type SubjectKey,
} from './subjects';

// The subjects and streams of DESIGN.md §1-§3, built in one place (STYLE.md 2).

const SINGLE: readonly Family[] = FAMILIES.filter((f) => f !== 'agent' && f !== 'canonical');

/** A concrete subject has only non-empty tokens free of wildcards and whitespace. */
function expectConcrete(subject: string, tokens: number): void {
  const parts = subject.split('.');
  expect(parts).toHaveLength(tokens);
  for (const part of parts) {
    expect(part).not.toBe('');
    expect(part).not.toMatch(/[*>\s]/);
  }
}

describe('family subjects: events.<family>.<key>', () => {
  it.each(SINGLE)('keys %s by one token', (family) => {
    expect(familySubject(family, 'key-1')).toBe(`events.${family}.key-1`);
    expectConcrete(familySubject(family, 'a.b *>'), 3);
    expect(familySubject(family, 'a.b *>')).toBe(`events.${family}.${encodeKeyToken('a.b *>')}`);
  });

  it.each(['agent', 'canonical'] as const)('keys %s by <thread>.<run>', (family) => {
    expect(familySubject(family, ['thread-1', 'run-1'])).toBe(`events.${family}.thread-1.run-1`);
    expect(familySubject(family, ['thread.1', 'run 1'])).toBe(
      `events.${family}.~dGhyZWFkLjE.~cnVuIDE`,
    );
    expectConcrete(familySubject(family, ['>', '*']), 4);
  });

  it('names the DESIGN.md examples', () => {
    expect(familySubject('engine', 'qwen3-4b')).toBe('events.engine.qwen3-4b');
    expect(familySubject('lease_history', 'exec-1')).toBe('events.lease_history.exec-1');
    expect(familySubject('canonical', ['thread-1', 'run-1'])).toBe(
      'events.canonical.thread-1.run-1',
    );
  });

  it('refuses an empty key token', () => {
    expect(() => familySubject('trace', '')).toThrow(RangeError);
    expect(() => familySubject('agent', ['thread-1', ''])).toThrow(RangeError);
    expect(() => familySubject('agent', ['', 'run-1'])).toThrow(RangeError);
  });

  it.each(FAMILIES)('filters everything of %s with events.<family>.>', (family) => {
    expect(familySubjectFilter(family)).toBe(`events.${family}.>`);
  });
});

describe('parseFamilySubject', () => {
  it.each<[Family, SubjectKey]>([
    ['engine', 'qwen3-4b'],
    ['trace', 'req.1'],
    ['lease_history', '🙂 %'],
    ['agent', ['thread-1', 'run-1']],
    ['canonical', ['a.b', 'c>d']],
  ])('reads back familySubject(%p, %p)', (family, key) => {
    expect(parseFamilySubject(familySubject(family, key))).toEqual({
      family,
      key: typeof key === 'string' ? [key] : [...key],
    });
  });

  it.each(['', 'events', 'events.engine', 'ingest.engine.m', 'live.engine.m', 'events.engine.a b'])(
    'refuses %p',
    (subject) => {
      expect(parseFamilySubject(subject)).toBeNull();
    },
  );

  it('refuses an empty token', () => {
    expect(parseFamilySubject('events.engine.')).toBeNull();
    expect(parseFamilySubject('events.agent..run-1')).toBeNull();
  });
});

describe('other subjects', () => {
  it('builds the async ingress subject ingest.<family>.<key> and its filter', () => {
    expect(ingestSubject('trace', 'req-1')).toBe('ingest.trace.req-1');
    expect(ingestSubject('trace', 'req.1')).toBe('ingest.trace.~cmVxLjE');
    expect(ingestSubject('agent', ['thread-1', 'run.1'])).toBe('ingest.agent.thread-1.~cnVuLjE');
    expect(INGEST_SUBJECT_FILTER).toBe('ingest.>');
    for (const family of FAMILIES) expectConcrete(ingestSubject(family, 'k *'), 3);
  });

  it('builds dead-letter subjects deadletter.<consumer>.<family> and their filter', () => {
    expect(deadLetterSubject('ingest', 'engine')).toBe('deadletter.ingest.engine');
    expect(deadLetterSubject('lease-history', 'completion')).toBe(
      'deadletter.lease-history.completion',
    );
    expect(deadLetterSubject('normalizer', 'agent')).toBe('deadletter.normalizer.agent');
    expect(DEADLETTER_SUBJECT_FILTER).toBe('deadletter.>');
  });

  it('builds the live subjects live.engine.<model> and live.agent.<thread>.<run>', () => {
    expect(liveEngineSubject('qwen3-4b')).toBe('live.engine.qwen3-4b');
    expect(liveEngineSubject('qwen3.5 q4')).toBe(`live.engine.${encodeKeyToken('qwen3.5 q4')}`);
    expectConcrete(liveEngineSubject('qwen3.5 q4'), 3);
    expect(liveAgentSubject('thread-1', 'run-1')).toBe('live.agent.thread-1.run-1');
    expect(liveAgentSubject('t.1', 'r*')).toBe('live.agent.~dC4x.~cio');
    expectConcrete(liveAgentSubject('t.1', 'r*'), 4);
    expect(() => liveEngineSubject('')).toThrow(RangeError);
  });
});

describe('streams', () => {
  it('names one stream per family, RUNLOG_<FAMILY>', () => {
    expect(FAMILIES.map(streamName)).toEqual([
      'RUNLOG_ENGINE',
      'RUNLOG_LEASE_HISTORY',
      'RUNLOG_COMPLETION',
      'RUNLOG_SIGNAL_DELIVERY',
      'RUNLOG_INSTANCE_TAGS',
      'RUNLOG_TRACE',
      'RUNLOG_PIPELINE',
      'RUNLOG_AGENT',
      'RUNLOG_CANONICAL',
      'RUNLOG_PRODUCER',
    ]);
    expect(INGEST_STREAM).toBe('RUNLOG_INGEST');
    expect(DEADLETTER_STREAM).toBe('RUNLOG_DEADLETTER');
  });

  it('gives agent work-queue retention and every other family limits', () => {
    expect(FAMILIES.filter((family) => familyRetention(family) === 'workqueue')).toEqual(['agent']);
    expect(familyRetention('trace')).toBe('limits');
  });

  it('uses only valid JetStream names for streams and durables', () => {
    const names = [
      ...FAMILIES.map(streamName),
      INGEST_STREAM,
      DEADLETTER_STREAM,
      ...Object.values(DURABLES),
    ];
    for (const name of names) expect([name, isValidJetStreamName(name)]).toEqual([name, true]);
    expect(DURABLES).toEqual({
      ingest: 'ingest',
      normalizer: 'normalizer',
      leaseHistory: 'lease-history',
      traceStore: 'trace-store',
    });
  });

  it.each(['', 'a.b', 'a b', 'a*', 'a>', 'a/b', 'a\\b', 'a\tb', 'é', 'x'.repeat(256)])(
    'refuses the JetStream name %p',
    (name) => {
      expect(isValidJetStreamName(name)).toBe(false);
    },
  );

  it('accepts a 255-character name', () => {
    expect(isValidJetStreamName('x'.repeat(255))).toBe(true);
  });
});
