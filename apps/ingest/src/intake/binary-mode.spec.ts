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
