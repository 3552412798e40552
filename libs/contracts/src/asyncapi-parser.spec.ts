// asyncapi.yaml as the AsyncAPI tooling reads it: the official parser (@asyncapi/parser,
// which runs its spectral ruleset: schema, references, and the recommended rules) must
// report nothing at all, not even a hint, and must see every channel and message the
// contract declares. The sibling asyncapi.spec.ts checks the file against the contract.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..', '..');
const text = readFileSync(join(root, 'asyncapi.yaml'), 'utf8');
const raw = parse(text) as {
  channels: Record<string, unknown>;
  operations: Record<string, unknown>;
  components: { messages: Record<string, unknown> };
};

describe('asyncapi.yaml through @asyncapi/parser', () => {
  it('parses with no diagnostics, every channel, operation and message present', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    expect(
      diagnostics.map((d) => `${d.severity} ${d.code} ${d.path.join('.')}: ${d.message}`),
    ).toEqual([]);
    expect(document).toBeDefined();
    expect(
      document!
        .channels()
        .all()
        .map((channel) => channel.id())
        .sort(),
    ).toEqual(Object.keys(raw.channels).sort());
    expect(document!.operations().all()).toHaveLength(Object.keys(raw.operations).length);
    expect(document!.components().messages().all()).toHaveLength(
      Object.keys(raw.components.messages).length,
    );
  }, 60_000);
});
