// Just enough of Python's lexical structure to edit a migration file in
// place: its logical lines (a statement with its continuation lines, strings
// and brackets taken into account), the function each belongs to, and the
// top-level arguments of an `op.name(...)` call. No Python is run: the fix
// command works on the file's text, like a person with an editor would.

export interface LogicalLine {
  /** 1-based first and last physical line. */
  start: number;
  end: number;
  /** Leading whitespace of the first line. */
  indent: string;
  /** The statement's source without the leading indentation of its first line (and without a final comment). */
  text: string;
}

export interface SourceFile {
  lines: string[];
  logical: LogicalLine[];
  /** '\n' or '\r\n', as the file has it. */
  eol: string;
  /** The file's indentation step (four spaces unless it uses another). */
  indentUnit: string;
  /** The quote its string literals mostly use. */
  quote: "'" | '"';
}

const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

/** Index just past a string literal starting at i (prefix included), or -1 when it does not end on this text. */
function skipString(text: string, i: number): number {
  const match = STRING_START.exec(text.slice(i));
  if (match === null) return -1;
  const delimiter = match[2] ?? '"';
  let j = i + match[0].length;
  while (j < text.length) {
    const c = text[j];
    // Also in raw strings a backslash keeps the next quote from ending the literal.
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (text.startsWith(delimiter, j)) return j + delimiter.length;
    if (c === '\n' && delimiter.length === 1) return -1;
    j++;
  }
  return -1;
}

function isStringStart(text: string, i: number): boolean {
  const c = text[i];
  if (c === '"' || c === "'") return true;
  // A prefix letter only starts a string when it is not the end of a name (e.g. `br"x"`, not `number"`).
  if (c === undefined || !/[rRbBuUfF]/.test(c)) return false;
  if (i > 0 && /[\w]/.test(text[i - 1] ?? '')) return false;
  return STRING_START.test(text.slice(i)) && /['"]/.test(text.slice(i, i + 3));
}

interface Token {
  kind: 'code' | 'string' | 'comment';
  /** [at, end) in the text. */
  at: number;
  end: number;
}

/** The text as code characters (one token each), string literals and comments; a backslash-newline is skipped. */
function* tokens(text: string, from = 0): Generator<Token> {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      const end = nl === -1 ? text.length : nl;
      yield { kind: 'comment', at: i, end };
      i = end;
    } else if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
    } else if (isStringStart(text, i)) {
      const found = skipString(text, i);
      const end = found === -1 ? text.length : found;
      yield { kind: 'string', at: i, end };
      i = end;
    } else {
      yield { kind: 'code', at: i, end: i + 1 };
      i++;
    }
  }
}

export function parseSource(source: string): SourceFile {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const text = source.replaceAll('\r\n', '\n');
  const lines = text.split('\n');
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  const logical: LogicalLine[] = [];
  let depth = 0;
  let startOffset = -1;
  const quotes = { single: 0, double: 0 };
  const close = (endOffset: number): void => {
    if (startOffset === -1) return;
    const first = lineOf(startOffset);
    const last = lineOf(Math.max(startOffset, endOffset - 1));
    const firstLine = lines[first - 1] ?? '';
    const indent = /^[ \t]*/.exec(firstLine)?.[0] ?? '';
    const body = text.slice(lineStarts[first - 1] ?? 0, endOffset).slice(indent.length);
    logical.push({ start: first, end: last, indent, text: body.replace(/\s+$/, '') });
    startOffset = -1;
  };
  for (const token of tokens(text)) {
    if (token.kind === 'comment') {
      if (depth === 0) close(token.at);
      continue;
    }
    const c = text[token.at] ?? '';
    if (token.kind === 'code' && c === '\n') {
      if (depth === 0) close(token.at);
      continue;
    }
    if (startOffset === -1 && !/\s/.test(c)) startOffset = token.at;
    if (token.kind === 'string') {
      if (/^[a-z]*'/i.test(text.slice(token.at, token.end))) quotes.single++;
      else quotes.double++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
  }
  close(text.length);

  const indents = logical.map((l) => l.indent).filter((s) => s !== '');
  const smallest = indents.reduce<string | null>(
    (best, s) => (best === null || s.length < best.length ? s : best),
    null,
  );
  return {
    lines,
    logical,
    eol,
    indentUnit: smallest ?? '    ',
    quote: quotes.single > quotes.double ? "'" : '"',
  };
}

/** The logical line (statement) that covers a physical line. */
export function statementAt(source: SourceFile, line: number): LogicalLine | undefined {
  return source.logical.find((l) => l.start <= line && line <= l.end);
}

/** The name of the function (`def name(...)`) a statement is in, when it is directly in one. */
export function enclosingFunction(source: SourceFile, statement: LogicalLine): string | undefined {
  const index = source.logical.indexOf(statement);
  for (let i = index - 1; i >= 0; i--) {
    const candidate = source.logical[i];
    if (candidate === undefined || candidate.indent.length >= statement.indent.length) continue;
    const match = /^(?:async\s+)?def\s+(\w+)/.exec(candidate.text);
    return match?.[1];
  }
  return undefined;
}

/** The statements directly in `def name(...)` (at the function body's indentation). */
export function functionBody(source: SourceFile, name: string): LogicalLine[] {
  const index = source.logical.findIndex((l) => new RegExp(`^(?:async\\s+)?def\\s+${name}\\b`).test(l.text));
  const header = source.logical[index];
  if (header === undefined) return [];
  const body: LogicalLine[] = [];
  let indent: string | undefined;
  for (const line of source.logical.slice(index + 1)) {
    if (line.indent.length <= header.indent.length) break;
    indent ??= line.indent;
    if (line.indent === indent) body.push(line);
  }
  return body;
}

export interface Call {
  /** `op.add_column` → "add_column". */
  name: string;
  /** Top-level arguments as written. */
  args: string[];
  /** Offset (in the statement's text) of the closing parenthesis. */
  closeAt: number;
}

/** Splits `a, b(c, d), e="f, g"` at its top-level commas (comments left out). */
export function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const token of tokens(text)) {
    if (token.kind === 'comment') continue;
    const piece = text.slice(token.at, token.end);
    if (token.kind === 'code') {
      if ('([{'.includes(piece)) depth++;
      else if (')]}'.includes(piece)) depth--;
      else if (piece === ',' && depth === 0) {
        parts.push(current);
        current = '';
        continue;
      }
    }
    current += piece;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p, index, all) => p !== '' || index < all.length - 1);
}

/** The `op.name(...)` call a statement consists of, if it is one. */
export function opCall(statement: LogicalLine): Call | undefined {
  const match = /^op\.(\w+)\s*\(/.exec(statement.text);
  if (match === null) return undefined;
  const open = match[0].length - 1;
  const text = statement.text;
  let depth = 0;
  for (const token of tokens(text, open)) {
    if (token.kind !== 'code') continue;
    const c = text[token.at] ?? '';
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) {
      if (text.slice(token.end).trim() !== '') return undefined;
      return {
        name: match[1] ?? '',
        args: splitArguments(text.slice(open + 1, token.at)),
        closeAt: token.at,
      };
    }
  }
  return undefined;
}

/** The value of a plain string literal ('x', "x"), else undefined. */
export function stringValue(argument: string | undefined): string | undefined {
  if (argument === undefined) return undefined;
  const match = /^[uU]?(['"])((?:[^\\'"]|\\.)*)\1$/.exec(argument.trim());
  if (match === null) return undefined;
  return (match[2] ?? '').replace(/\\(.)/g, '$1');
}

/** The value of keyword argument `name=` among a call's arguments. */
export function keyword(args: readonly string[], name: string): string | undefined {
  for (const arg of args) {
    const match = new RegExp(`^${name}\\s*=\\s*([\\s\\S]*)$`).exec(arg);
    if (match !== null) return match[1]?.trim();
  }
  return undefined;
}

/** Positional arguments (those before the first keyword). */
export function positional(args: readonly string[]): string[] {
  const index = args.findIndex((a) => /^\*{0,2}\w+\s*=(?!=)/.test(a) || a.startsWith('*'));
  return index === -1 ? [...args] : args.slice(0, index);
}

/** A Python string literal in the file's quote style (the other quote when that avoids escapes). */
export function pyString(value: string, quote: "'" | '"'): string {
  const other = quote === "'" ? '"' : "'";
  const use = value.includes(quote) && !value.includes(other) ? other : quote;
  const escaped = value.replaceAll('\\', '\\\\').replaceAll(use, `\\${use}`).replaceAll('\n', '\\n');
  return `${use}${escaped}${use}`;
}
