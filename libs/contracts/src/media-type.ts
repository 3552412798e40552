// RFC 2046 (with RFC 2045's token and RFC 822's quoted-string) media type syntax, for
// the CloudEvents `datacontenttype`: `type "/" subtype *(";" parameter)`, with optional
// whitespace before and after each `;` as HTTP allows (RFC 9110 §8.3.1).

/** RFC 2045 `token`: any US-ASCII printable except SPACE and the tspecials `()<>@,;:\"/[]?=`. */
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z{}]+";
/** RFC 822 `quoted-string`: printable ASCII (and tab) between quotes, `\` escaping one. */
const QUOTED = '"(?:[\\t !#-\\[\\]-~]|\\\\[\\t -~])*"';
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN})/(${TOKEN})((?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*)$`,
);

/** A parsed media type: `type` and `subtype` lower case (they are case-insensitive). */
export interface MediaType {
  readonly type: string;
  readonly subtype: string;
}

/** The media type `value` names, or `undefined` when it is not RFC 2046 syntax. */
export function parseMediaType(value: string): MediaType | undefined {
  const match = MEDIA_TYPE.exec(value);
  if (match === null) return undefined;
  return { type: (match[1] as string).toLowerCase(), subtype: (match[2] as string).toLowerCase() };
}
