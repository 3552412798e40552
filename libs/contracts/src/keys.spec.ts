import { dataKey, keyOfSubjectAttribute, storedSubject, subjectAttribute } from './keys';
import {
  decodeKeyToken,
  deadLetterSubject,
  encodeKeyToken,
  familySubject,
  familySubjectFilter,
  ingestSubject,
} from './subjects';

// The reversible key-token encoding of DESIGN.md §2 and the subjects built from it.

describe('key tokens', () => {
  it.each(['exec-1', 'a_b:c@d{e}=f+g', 'X9'])('keeps the plain key %p as is', (key) => {
    expect(encodeKeyToken(key)).toBe(key);
    expect(decodeKeyToken(key)).toBe(key);
  });

  it.each([
    'a.b',
    'orders.*',
    'all>',
    'with space',
    'tab\there',
    '100%',
    '~tilde',
    'ключ',
    '模型/qwen',
    '🙂',
    '.',
    ' ',
    'a/b\\c',
  ])('encodes %p into one safe token and back', (key) => {
    const token = encodeKeyToken(key);
    expect(token).toMatch(/^~[A-Za-z0-9_-]+$/);
    expect(token).not.toMatch(/[.*>\s]/);
    expect(decodeKeyToken(token)).toBe(key);
  });

  it('never confuses an encoded token with a plain key', () => {
    const plain = encodeKeyToken('abc');
    const encoded = encodeKeyToken('a.c');
    expect(plain).not.toBe(encoded);
    expect(() => decodeKeyToken('a.c')).toThrow(RangeError);
  });

  it('rejects an empty key', () => {
    expect(() => encodeKeyToken('')).toThrow(RangeError);
  });
});

describe('subjects', () => {
  it('builds the subjects of DESIGN.md §2', () => {
    expect(familySubject('lease_history', 'exec-1')).toBe('events.lease_history.exec-1');
    expect(familySubject('trace', 'req.1')).toBe(`events.trace.${encodeKeyToken('req.1')}`);
    expect(familySubject('agent', ['thread-1', 'run.2'])).toBe(
      `events.agent.thread-1.${encodeKeyToken('run.2')}`,
    );
    expect(familySubjectFilter('engine')).toBe('events.engine.>');
    expect(ingestSubject('pipeline', 'node-1')).toBe('ingest.pipeline.node-1');
    expect(deadLetterSubject('lease-history', 'completion')).toBe(
      'deadletter.lease-history.completion',
    );
  });

  it('round-trips two-part keys through the subject attribute (decisions D6)', () => {
    const key = ['thread.with.dots', 'run 1'] as const;
    const attribute = subjectAttribute(key);
    expect(attribute.split('.')).toHaveLength(2);
    expect(keyOfSubjectAttribute('agent', attribute)).toEqual([...key]);
    expect(storedSubject('agent', attribute)).toBe(familySubject('agent', key));
    expect(keyOfSubjectAttribute('agent', 'only-one-token')).toBeUndefined();
    expect(() => storedSubject('canonical', 'a.b.c')).toThrow(RangeError);
  });

  it('finds the key each family names in data', () => {
    expect(dataKey('engine', { model: 'qwen3-4b' })).toBe('qwen3-4b');
    expect(dataKey('engine', { kind: 'oom' })).toBeUndefined();
    expect(dataKey('trace', { request_id: 'req-1' })).toBe('req-1');
    expect(dataKey('pipeline', { node_id: 'n' })).toBe('n');
    expect(dataKey('completion', { execution_id: ' ' })).toBeUndefined();
    expect(dataKey('agent', { thread_id: 't', run_id: 'r' })).toEqual(['t', 'r']);
    expect(
      dataKey('canonical', {
        scopes: [
          { type: 'run', id: 'r' },
          { type: 'thread', id: 't' },
        ],
      }),
    ).toEqual(['t', 'r']);
    expect(dataKey('canonical', { scopes: [{ type: 'run', id: 'r' }] })).toBeUndefined();
  });
});
