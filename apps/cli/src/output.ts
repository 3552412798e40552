// Everything the CLI prints goes through here: results on stdout, diagnostics on stderr,
// colours only when stdout is a terminal (and NO_COLOR is unset).

export type Style = (text: string) => string;

/** The few styles the CLI uses. */
export interface Paint {
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly cyan: Style;
}

const sgr =
  (open: number, close: number): Style =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const identity: Style = (text) => text;

/** No colour: for pipes, files and tests. */
export const PLAIN: Paint = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  cyan: identity,
};

const COLOURED: Paint = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

/** Colours when stdout is a TTY, none otherwise. */
export const paint: Paint =
  process.stdout.isTTY === true && !process.env.NO_COLOR ? COLOURED : PLAIN;

/** One line of result on stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** One line of diagnostics on stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A JSON document on stdout (`--json`), indented for people, parseable for programs. */
export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Rows aligned in columns two spaces apart (the last column is not padded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header.map((cell) => paint.bold(cell)), ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => visibleLength(row[column] ?? ''))),
  );
  return all.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1
          ? cell
          : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd(),
  );
}
