import { decode } from './decode';
import { hasUnstorableChar } from './storable';
import { ALL_KINDS, exampleData, exampleEvent } from './examples';
import { FAMILIES, type Family, type KindOf } from './families';
import {
  dataKey,
  hasPairKey,
  keyOfSubjectAttribute,
  storedSubject,
  subjectAttribute,
} from './keys';
import { decodeKeyToken, encodeKeyToken, familySubject } from './subjects';

// The reversible key-token encoding of DESIGN.md §2 ("the key itself when it matches
// ^[A-Za-z0-9_\-:@{}=+]+$, otherwise ~ + base64url (no padding) of its UTF-8 bytes"), and
// how keys.ts turns an event's data into its subject.

const PLAIN = /^[A-Za-z0-9_\-:@{}=+]+$/;
const ENCODED = /^~[A-Za-z0-9_-]+$/;

const PLAIN_KEYS = [
  'exec-1',
  'X9',
  '0',
  '-',
  '_',
  'a_b:c@d{e}=f+g',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  '{}',
  '==',
  'a'.repeat(1000),
];

const SPECIAL_KEYS = [
  '.',
  '..',
  'a.b',
  'orders.v1.created',
  '*',
  'a*',
  'orders.*',
  '>',
  'all>',
  'a.>',
  ' ',
  '   ',
  'a b',
  ' leading',
  'trailing ',
  '\t',
  'tab\there',
  '\n',
  'line\r\nbreak',
  '\u00a0',
  '\u2003',
  '%',
  '100%',
  '%2E',
  '%20',
  '~',
  '~abc',
  '~YS5i',
  'é',
  'ключ',
  '模型/qwen',
  '🙂',
  'e\u0301',
  '\u0000',
  'a/b\\c',
  '"quoted"',
  "it's",
  '#hash',
  '$dollar',
  '&amp;',
  'a?b',
  'a,b;c',
  '[x]',
  '(x)',
  '<x>',
  '!',
  '|',
  '^',
  '`',
  'x'.repeat(500) + '.',
];

describe('encodeKeyToken / decodeKeyToken', () => {
  it.each(PLAIN_KEYS)('keeps the plain key %p as is', (key) => {
    expect(PLAIN.test(key)).toBe(true);
    expect(encodeKeyToken(key)).toBe(key);
    expect(decodeKeyToken(key)).toBe(key);
  });

  it.each(SPECIAL_KEYS)('encodes %p into one safe token and back', (key) => {
    const token = encodeKeyToken(key);
    expect(token).toMatch(ENCODED);
    expect(token).not.toMatch(/[.*>\s]/);
    expect(token).not.toContain('=');
    expect(token).toBe(`~${Buffer.from(key, 'utf8').toString('base64url')}`);
    expect(decodeKeyToken(token)).toBe(key);
  });

  it.each([
    ['a.b', '~YS5i'],
    [' ', '~IA'],
    ['~', '~fg'],
    ['é', '~w6k'],
    ['🙂', '~8J-Zgg'],
    ['a*b', '~YSpi'],
    ['a>b', '~YT5i'],
    ['100%', '~MTAwJQ'],
    ['ÿ?', '~w78_'],
  ])('encodes %p exactly as DESIGN.md §2 says: %p', (key, token) => {
    expect(encodeKeyToken(key)).toBe(token);
    expect(decodeKeyToken(token)).toBe(key);
  });

  it('never maps two different keys to one token', () => {
    const keys = [...PLAIN_KEYS, ...SPECIAL_KEYS];
    const tokens = keys.map(encodeKeyToken);
    expect(new Set(tokens).size).toBe(keys.length);
    // An encoded token starts with "~", which no plain key can contain.
    for (const key of PLAIN_KEYS) expect(encodeKeyToken(key).startsWith('~')).toBe(false);
    for (const key of SPECIAL_KEYS) expect(encodeKeyToken(key).startsWith('~')).toBe(true);
  });

  it('round-trips keys of every single character 0..0x2fff', () => {
    for (let code = 0; code < 0x3000; code += 1) {
      const key = String.fromCharCode(code);
      if (code >= 0xd800 && code <= 0xdfff) continue; // lone surrogates: see the todo below
      const token = encodeKeyToken(key);
      expect(token).not.toMatch(/[.*>\s]/);
      if (decodeKeyToken(token) !== key)
        throw new Error(`U+${code.toString(16)} did not round-trip`);
    }
  });

  it('rejects an empty key', () => {
    expect(() => encodeKeyToken('')).toThrow(new RangeError('a subject key must not be empty'));
  });

  it.each(['', 'a.b', 'a b', '*', '>', 'a*', 'a>', '%', 'é', ' '])(
    'refuses to decode %p, which is neither plain nor encoded',
    (token) => {
      expect(() => decodeKeyToken(token)).toThrow(RangeError);
    },
  );

  // Only what encodeKeyToken writes decodes: Buffer.from would skip what is not base64url.
  it.each(['~', '~!!', '~@', '~Zm9v!!YmFy', '~Zm9vYmFy='])('refuses to decode %p', (token) => {
    expect(() => decodeKeyToken(token)).toThrow(RangeError);
  });

  // A lone surrogate has no UTF-8 form ("\ud800" would become U+FFFD and collide with it).
  it.each(['\ud800', 'a\udc00b', '\udbff'])('refuses to encode the lone surrogate in %p', (key) => {
    expect(() => encodeKeyToken(key)).toThrow(RangeError);
    expect(encodeKeyToken('\ufffd')).toBe('~77-9');
  });
});

describe('dataKey', () => {
  const KEY_FIELD: Readonly<Record<Family, string>> = {
    engine: 'model',
    lease_history: 'execution_id',
    completion: 'execution_id',
    signal_delivery: 'execution_id',
    instance_tags: 'execution_id',
    trace: 'request_id',
    pipeline: 'node_id',
    agent: 'thread_id + run_id',
    canonical: 'scopes thread + run',
    producer: 'source',
  };

  it.each(ALL_KINDS.map(({ family, kind }) => [family, kind] as const))(
    'finds the DESIGN.md §3 key of %s.%s',
    (family, kind) => {
      const data = exampleData(family, kind as KindOf<Family>);
      const expected = hasPairKey(family)
        ? ['thread-1', 'run-1']
        : (data[KEY_FIELD[family]] as string);
      expect(dataKey(family, data)).toEqual(expected);
    },
  );

  it('marks exactly agent and canonical as two-token families', () => {
    expect(FAMILIES.filter(hasPairKey)).toEqual(['agent', 'canonical']);
  });

  it.each([undefined, null, 'exec-1', 42, [], [{ execution_id: 'e' }]])(
    'finds no key in the non-object %p',
    (data) => {
      for (const family of FAMILIES) expect(dataKey(family, data)).toBeUndefined();
    },
  );

  it('finds no key when the key field is missing, blank or not a string', () => {
    for (const value of [undefined, '', '  ', 42, null, ['exec-1'], { id: 'x' }]) {
      expect(dataKey('completion', { execution_id: value })).toBeUndefined();
      expect(dataKey('engine', { model: value })).toBeUndefined();
      expect(dataKey('agent', { thread_id: 't', run_id: value })).toBeUndefined();
      expect(dataKey('agent', { thread_id: value, run_id: 'r' })).toBeUndefined();
    }
    expect(dataKey('engine', { kind: 'oom' })).toBeUndefined();
  });

  it('keeps keys as the producer wrote them (no trimming, no encoding)', () => {
    expect(dataKey('trace', { request_id: ' req.1 ' })).toBe(' req.1 ');
    expect(dataKey('agent', { thread_id: 'a.b', run_id: '*' })).toEqual(['a.b', '*']);
  });

  it('reads canonical keys from the scopes, in any order, skipping unusable scopes', () => {
    const scopes = (...list: unknown[]) => dataKey('canonical', { scopes: list });
    expect(scopes({ type: 'run', id: 'r' }, { type: 'thread', id: 't' })).toEqual(['t', 'r']);
    expect(
      scopes(
        'junk',
        null,
        { type: 'thread', id: ' ' },
        { type: 'thread', id: 't2' },
        { type: 'run', id: 7 },
        { type: 'run', id: 'r2' },
      ),
    ).toEqual(['t2', 'r2']);
    expect(scopes({ type: 'run', id: 'r' })).toBeUndefined();
    expect(scopes({ type: 'thread', id: 't' })).toBeUndefined();
    expect(scopes()).toBeUndefined();
    expect(dataKey('canonical', { scopes: 'thread-1.run-1' })).toBeUndefined();
    expect(dataKey('canonical', { thread_id: 't', run_id: 'r' })).toBeUndefined();
  });
});

describe('subjectAttribute / keyOfSubjectAttribute', () => {
  it('writes a single key as is, dots and spaces included', () => {
    for (const key of ['exec-1', 'a.b', 'a b', '🙂', '*']) expect(subjectAttribute(key)).toBe(key);
  });

  it('writes a two-part key as two key tokens joined by "." (decisions D6)', () => {
    expect(subjectAttribute(['thread-1', 'run-1'])).toBe('thread-1.run-1');
    expect(subjectAttribute(['a.b', 'c d'])).toBe('~YS5i.~YyBk');
    expect(() => subjectAttribute(['', 'run-1'])).toThrow(RangeError);
  });

  it.each(
    SPECIAL_KEYS.slice(0, 30).flatMap((thread, index) => [
      [thread, SPECIAL_KEYS[SPECIAL_KEYS.length - 1 - index]!] as const,
      [thread, 'run-1'] as const,
    ]),
  )('round-trips the two-part key [%p, %p]', (thread, run) => {
    const attribute = subjectAttribute([thread, run]);
    expect(attribute.split('.')).toHaveLength(2);
    expect(attribute).not.toMatch(/[*>\s]/);
    expect(keyOfSubjectAttribute('agent', attribute)).toEqual([thread, run]);
    expect(keyOfSubjectAttribute('canonical', attribute)).toEqual([thread, run]);
    expect(storedSubject('agent', attribute)).toBe(`events.agent.${attribute}`);
  });

  it('reads a single-key subject back as is', () => {
    for (const family of FAMILIES.filter((f) => !hasPairKey(f))) {
      expect(keyOfSubjectAttribute(family, 'a.b c')).toBe('a.b c');
    }
  });

  it.each(['', 'one', 'a.b.c', 'a.', '.b', '.', 'a b.c', 'a.b*', 'a.>'])(
    'refuses the malformed two-token subject %p',
    (subject) => {
      expect(keyOfSubjectAttribute('agent', subject)).toBeUndefined();
      expect(() => storedSubject('canonical', subject)).toThrow(RangeError);
    },
  );

  it('stores a single key encoded into one token', () => {
    expect(storedSubject('trace', 'req-1')).toBe('events.trace.req-1');
    expect(storedSubject('trace', 'req.1')).toBe('events.trace.~cmVxLjE');
    expect(storedSubject('engine', 'qwen3 4b')).toBe('events.engine.~cXdlbjMgNGI');
    expect(() => storedSubject('engine', '')).toThrow(RangeError);
  });
});

describe('keys through decode', () => {
  it.each(SPECIAL_KEYS)('stores an execution keyed %p under one encoded token', (key) => {
    const envelope = exampleEvent('lease_history', 'acquired');
    const data = { ...(envelope.data as Record<string, unknown>), execution_id: key };
    const blank = key.trim() === '';
    const result = decode({ ...envelope, subject: undefined, data });
    // NUL and lone surrogates cannot be stored (storable.ts): refused at the field.
    if (blank || hasUnstorableChar(key)) {
      expect(result).toMatchObject({ ok: false, errors: [{ path: 'data.execution_id' }] });
      return;
    }
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.subject).toBe(key);
    expect(storedSubject('lease_history', result.value.subject)).toBe(
      familySubject('lease_history', key),
    );
  });

  it.each(SPECIAL_KEYS.filter((key) => key.trim() !== '' && !hasUnstorableChar(key)))(
    'keys an agent run on thread %p reversibly',
    (thread) => {
      const envelope = exampleEvent('agent', 'run_start');
      const data = { ...(envelope.data as Record<string, unknown>), thread_id: thread };
      const result = decode({ ...envelope, subject: undefined, data });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(keyOfSubjectAttribute('agent', result.value.subject)).toEqual([thread, 'run-1']);
      expect(storedSubject('agent', result.value.subject)).toBe(
        `events.agent.${encodeKeyToken(thread)}.run-1`,
      );
      // The same subject, sent explicitly, is accepted.
      expect(decode({ ...envelope, subject: result.value.subject, data })).toEqual(result);
    },
  );
});
