// sql-parser-cst (PostgreSQL dialect, with source ranges) over many captured
// statements at once. The parser's per-call set-up costs about as much as
// parsing a short DDL statement, so the texts are joined and parsed in one
// call; a batch that fails is split in halves until the failing text is
// alone, so one bad statement costs a few extra calls, never a crash.
import { parse, type Node, type Statement as SqlStatement } from 'sql-parser-cst';

export interface ParsedText {
  ok: true;
  /** The SQL statements of the text, in order (several when the text was a script). */
  statements: SqlStatement[];
  /** The string the ranges point into (the text itself, or the batch it was parsed in). */
  source: string;
}

export interface FailedText {
  ok: false;
  /** First line of the parser's message, e.g. `Syntax Error: Unexpected "LOCK"`. */
  error: string;
}

export type ParseResult = ParsedText | FailedText;

// A newline first, so that a text ending in a `--` comment cannot swallow the separator.
const SEPARATOR = '\n;\n';

function parseProgram(sql: string): SqlStatement[] {
  return parse(sql, { dialect: 'postgresql', includeRange: true }).statements;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Source text of a node parsed with ranges. */
export function sourceText(source: string, node: Node): string {
  const range = node.range;
  return range === undefined ? '' : source.slice(range[0], range[1]);
}

/**
 * Texts per parser call: enough to make the set-up negligible, few enough
 * that one call's syntax trees stay small for the garbage collector.
 */
const BATCH = 256;

/** Statements of the kinds migrations emit most, for warmUpParser. */
const TYPICAL = [
  'CREATE TABLE t (id SERIAL NOT NULL, name VARCHAR(50) NOT NULL, PRIMARY KEY (id), UNIQUE (name))',
  'ALTER TABLE t ADD COLUMN c TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL',
  'ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMP WITH TIME ZONE USING c::timestamp with time zone',
  'ALTER TABLE t ALTER COLUMN c SET NOT NULL',
  'ALTER TABLE t DROP CONSTRAINT t_u_fkey',
  'ALTER TABLE t ADD CONSTRAINT t_u_fkey FOREIGN KEY(u) REFERENCES u (id) ON DELETE CASCADE',
  'CREATE INDEX ix_t_c ON t (c, d)',
  "UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a'",
];

/**
 * Parses a few typical statements once, so that the parser's code is
 * compiled before the review needs it: called while the project opens, when
 * this process mostly waits, it takes a few hundredths of a second off the
 * lint, which runs while the head's checks wait on it.
 */
export function warmUpParser(): { parsed: number; of: number } {
  return { parsed: parseTexts(TYPICAL).filter((r) => r.ok).length, of: TYPICAL.length };
}

/** Parses each text; results are in the order of `texts`. */
export function parseTexts(texts: readonly string[]): ParseResult[] {
  const results: ParseResult[] = new Array<ParseResult>(texts.length);
  for (let from = 0; from < texts.length; from += BATCH)
    parseRange(texts, from, Math.min(from + BATCH, texts.length), results);
  return results;
}

function parseRange(texts: readonly string[], from: number, to: number, results: ParseResult[]): void {
  if (to - from === 1) {
    const text = texts[from] ?? '';
    try {
      results[from] = { ok: true, statements: meaningful(parseProgram(text)), source: text };
    } catch (error) {
      results[from] = { ok: false, error: firstLine(error) };
    }
    return;
  }
  const starts: number[] = [];
  let offset = 0;
  for (let i = from; i < to; i++) {
    starts.push(offset);
    offset += (texts[i] ?? '').length + SEPARATOR.length;
  }
  const source = texts.slice(from, to).join(SEPARATOR);
  let statements: SqlStatement[];
  try {
    statements = parseProgram(source);
  } catch {
    const middle = from + Math.ceil((to - from) / 2);
    parseRange(texts, from, middle, results);
    parseRange(texts, middle, to, results);
    return;
  }
  const grouped = group(statements, texts, from, starts);
  if (grouped === null) {
    // A text that does not end where it should (an unterminated quote that
    // swallowed the separator): parse its parts apart.
    const middle = from + Math.ceil((to - from) / 2);
    parseRange(texts, from, middle, results);
    parseRange(texts, middle, to, results);
    return;
  }
  for (let i = from; i < to; i++) results[i] = { ok: true, statements: grouped[i - from] ?? [], source };
}

/** The batch's statements per text, or null when a statement crosses a separator. */
function group(
  statements: SqlStatement[],
  texts: readonly string[],
  from: number,
  starts: readonly number[],
): SqlStatement[][] | null {
  const grouped: SqlStatement[][] = starts.map(() => []);
  let entry = 0;
  for (const statement of meaningful(statements)) {
    const [start, end] = statement.range ?? [0, 0];
    while (entry + 1 < starts.length && (starts[entry + 1] ?? Infinity) <= start) entry++;
    const limit = (starts[entry] ?? 0) + (texts[from + entry] ?? '').length;
    if (end > limit) return null;
    grouped[entry]?.push(statement);
  }
  return grouped;
}

/** Drops the empty statements that `;;` and trailing semicolons produce. */
function meaningful(statements: SqlStatement[]): SqlStatement[] {
  return statements.filter((s) => s.type !== 'empty');
}

/**
 * Texts queued in execution order and parsed a batch at a time when first
 * taken, so that only a batch's syntax trees are alive at once (they die
 * young, which the garbage collector handles cheaply).
 */
export class StreamingParser {
  private readonly texts: string[] = [];
  private readonly results: (ParseResult | undefined)[] = [];
  private parsedUpTo = 0;

  /** Queues a text; returns its ticket. */
  queue(text: string): number {
    this.texts.push(text);
    return this.texts.length - 1;
  }

  /** The result for a ticket, once: tickets are taken in order. */
  take(ticket: number): ParseResult | undefined {
    while (ticket >= this.parsedUpTo && this.parsedUpTo < this.texts.length) {
      const to = Math.min(this.parsedUpTo + BATCH, this.texts.length);
      parseTexts(this.texts.slice(this.parsedUpTo, to)).forEach(
        (result, i) => (this.results[this.parsedUpTo + i] = result),
      );
      this.parsedUpTo = to;
    }
    const result = this.results[ticket];
    this.results[ticket] = undefined;
    return result;
  }
}
