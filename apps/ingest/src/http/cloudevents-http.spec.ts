import { decode, exampleEvent } from '@runlog/contracts';
import { eventsOfRequest } from './cloudevents-http';

// The CloudEvents HTTP protocol binding (binary mode): attributes as ce-* headers,
// percent-encoded where a header cannot hold a character (§3.1.3.2), data as the body.

function binaryRequest(extra: Record<string, string>) {
  const { data, datacontenttype: _type, ...attributes } = exampleEvent('lease_history', 'acquired');
  void _type;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries({ ...attributes, ...extra }))
    headers[`ce-${name}`] = String(value);
  return eventsOfRequest(headers, data);
}

describe('eventsOfRequest: binary mode extensions', () => {
  it('percent-decodes extension values', () => {
    const [event] = binaryRequest({ region: 'eu%20west%E2%82%AC', dataschema: 'urn:x:y' });
    expect(decode(event)).toMatchObject({
      ok: true,
      value: { dataschema: 'urn:x:y', extensions: { region: 'eu west€' } },
    });
  });

  it('refuses a percent-encoded NUL as un-storable', () => {
    const [event] = binaryRequest({ region: 'a%00b' });
    expect(decode(event)).toMatchObject({
      ok: false,
      errors: [{ path: 'region', code: 'invalid_value' }],
    });
  });

  it('maps the content-type to datacontenttype', () => {
    const [event] = binaryRequest({});
    expect(event).toMatchObject({ datacontenttype: 'application/json' });
  });
});
