import { decode, exampleEvent } from '@runlog/contracts';
import { binaryModeEvent } from './binary-mode';

// Binary mode carries `sourceseq` as a `ce-sourceseq` header: a decimal string. Every
// decimal becomes a number, so a sequence beyond the safe integers is refused as
// `out_of_range` by decode, like the same number in structured mode.

function decodeBinary(sourceseq: string) {
  const { data, ...attributes } = exampleEvent('pipeline', 'transition');
  const headers = Object.entries({ ...attributes, sourceseq }).map(
    ([name, value]) => [`ce-${name}`, String(value)] as const,
  );
  return decode(binaryModeEvent(headers, data));
}

describe('binaryModeEvent: ce-sourceseq', () => {
  it.each(['0', '42', '9007199254740991'])('decodes %p as the number', (sourceseq) => {
    expect(binaryModeEvent([['ce-sourceseq', sourceseq]], {})['sourceseq']).toBe(Number(sourceseq));
    expect(decodeBinary(sourceseq)).toMatchObject({
      ok: true,
      value: { sourceseq: Number(sourceseq) },
    });
  });

  it.each(['9007199254740992', '18446744073709551616', `1${'0'.repeat(400)}`])(
    'refuses %p with `out_of_range`',
    (sourceseq) => {
      expect(decodeBinary(sourceseq)).toMatchObject({
        ok: false,
        errors: [{ path: 'sourceseq', code: 'out_of_range' }],
      });
    },
  );

  it.each(['-1', '1.5', '1e3', ' 1', 'x'])(
    'keeps %p a string, refused as `invalid_type`',
    (value) => {
      expect(binaryModeEvent([['ce-sourceseq', value]], {})['sourceseq']).toBe(value);
      expect(decodeBinary(value)).toMatchObject({
        ok: false,
        errors: [{ path: 'sourceseq', code: 'invalid_type' }],
      });
    },
  );
});

describe('binaryModeEvent: extension attributes as ce-<name> headers', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  function binary(extra: Record<string, string>) {
    const { data, ...attributes } = exampleEvent('lease_history', 'acquired');
    const headers = Object.entries({ ...attributes, ...extra }).map(
      ([name, value]) => [`ce-${name}`, String(value)] as const,
    );
    return decode(binaryModeEvent(headers, data));
  }

  it('keeps every ce-<name> header as the extension <name>, a string', () => {
    expect(binary({ tenant: 'acme', shard: '7', replay: 'true', traceparent })).toMatchObject({
      ok: true,
      value: { extensions: { tenant: 'acme', shard: '7', replay: 'true', traceparent } },
    });
  });

  it('reads header names case-insensitively, as HTTP and NATS headers are', () => {
    expect(binaryModeEvent([['CE-Tenant', 'acme']], {})).toEqual({ tenant: 'acme', data: {} });
  });

  it('ignores headers without the ce- prefix (a transport traceparent is not the event’s)', () => {
    expect(binaryModeEvent([['traceparent', traceparent]], {})).toEqual({ data: {} });
  });

  it.each([
    ['ce-trace_id', 'trace_id', 'unknown_property'],
    ['ce-cursor', 'cursor', 'unknown_property'],
    ['ce-traceparent', 'traceparent', 'invalid_format'],
  ])('refuses the header %p at the path %p with `%s`', (header, path, code) => {
    const { data, ...attributes } = exampleEvent('lease_history', 'acquired');
    const headers = [
      ...Object.entries(attributes).map(([name, value]) => [`ce-${name}`, String(value)] as const),
      [header, 'x'] as const,
    ];
    expect(decode(binaryModeEvent(headers, data))).toMatchObject({
      ok: false,
      errors: [{ path, code }],
    });
  });
});
