// RFC 3986 syntax, for the CloudEvents types URI (dataschema: an absolute URI, §4.3) and
// URI-reference (source, §4.1). ASCII only: an IRI is not a URI (percent-encode instead).

const UNRESERVED = 'A-Za-z0-9\\-._~';
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = '%[0-9A-Fa-f]{2}';
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`;
const SEGMENT = `${PCHAR}*`;
const SEGMENT_NZ = `${PCHAR}+`;
const SEGMENT_NZ_NC = `(?:[${UNRESERVED}${SUB_DELIMS}@]|${PCT})+`;
const SCHEME = '[A-Za-z][A-Za-z0-9+\\-.]*';

const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${DEC_OCTET}(?:\\.${DEC_OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const LS32 = `(?:${H16}:${H16}|${IPV4})`;
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
].join('|');
const IP_FUTURE = `v[0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+`;
const HOST = `(?:\\[(?:${IPV6}|${IP_FUTURE})\\]|${IPV4}|(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*)`;
const USERINFO = `(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*`;
const AUTHORITY = `(?:${USERINFO}@)?${HOST}(?::[0-9]*)?`;

const PATH_ABEMPTY = `(?:/${SEGMENT})*`;
const PATH_ABSOLUTE = `/(?:${SEGMENT_NZ}(?:/${SEGMENT})*)?`;
const PATH_ROOTLESS = `${SEGMENT_NZ}(?:/${SEGMENT})*`;
const PATH_NOSCHEME = `${SEGMENT_NZ_NC}(?:/${SEGMENT})*`;
const QUERY = `(?:${PCHAR}|[/?])*`;

const HIER_PART = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS}|)`;
const RELATIVE_PART = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_NOSCHEME}|)`;

/** RFC 3986 §4.3 `absolute-URI`: a scheme, no fragment. */
const ABSOLUTE_URI = new RegExp(`^${SCHEME}:${HIER_PART}(?:\\?${QUERY})?$`);
/** RFC 3986 §4.1 `URI-reference`: a URI (fragment allowed) or a relative reference. */
const URI_REFERENCE = new RegExp(
  `^(?:${SCHEME}:${HIER_PART}|${RELATIVE_PART})(?:\\?${QUERY})?(?:#${QUERY})?$`,
);

/** True when `value` is an RFC 3986 absolute URI (`https://example.com/schema/v1`, `urn:x:y`). */
export function isAbsoluteUri(value: string): boolean {
  return ABSOLUTE_URI.test(value);
}

/** True when `value` is an RFC 3986 URI-reference (`engine/qwen3-4b@host-1`, `/a?b#c`, `urn:x`). */
export function isUriReference(value: string): boolean {
  return URI_REFERENCE.test(value);
}
