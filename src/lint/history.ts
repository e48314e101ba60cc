// The statements of the change that ran before the current one, by type,
// for rules that consult what came earlier (was the table backfilled?).
// Statements no handler needed were not parsed; they are parsed here on
// demand, and only those that pass the caller's cheap test on the SQL.
import { parseTexts, sourceText } from './parse.ts';
import type { CapturedStatement, ParsedStatement, StatementType } from './types.ts';

interface Entry {
  captured: CapturedStatement;
  /** Undefined until parsed. */
  nodes: readonly ParsedStatement[] | undefined;
}

export class StatementHistory {
  private readonly byType = new Map<string, Entry[]>();
  /** Types some rule consulted: their syntax trees are kept; others are parsed again if ever asked for. */
  private readonly consulted = new Set<string>();

  /** Records a parsed statement once its handlers ran. */
  addParsed(node: ParsedStatement): void {
    const entries = this.entries(node.node.type);
    if (this.consulted.has(node.node.type)) entries.push({ captured: node.captured, nodes: [node] });
    else if (entries.at(-1)?.captured !== node.captured)
      entries.push({ captured: node.captured, nodes: undefined });
  }

  /** Records a statement that was not parsed, by the type its leading keywords give. */
  addUnparsed(captured: CapturedStatement, type: StatementType): void {
    this.entries(type).push({ captured, nodes: undefined });
  }

  /** Parsed statements of `type` so far, among those whose captured statement passes `test`. */
  earlier(type: StatementType, test?: (captured: CapturedStatement) => boolean): ParsedStatement[] {
    this.consulted.add(type);
    const entries = (this.byType.get(type) ?? []).filter(
      (entry) => test === undefined || test(entry.captured),
    );
    parseLate(entries.filter((entry) => entry.nodes === undefined));
    const found: ParsedStatement[] = [];
    for (const entry of entries) {
      for (const node of entry.nodes ?? []) if (node.node.type === type) found.push(node);
    }
    return found;
  }

  private entries(type: string): Entry[] {
    let list = this.byType.get(type);
    if (list === undefined) {
      list = [];
      this.byType.set(type, list);
    }
    return list;
  }
}

/** Parses the entries' statements in one batch. */
function parseLate(entries: readonly Entry[]): void {
  if (entries.length === 0) return;
  const results = parseTexts(entries.map((entry) => entry.captured.statement.sql));
  entries.forEach((entry, index) => {
    const result = results[index];
    if (result?.ok !== true) {
      entry.nodes = [];
      return;
    }
    const { source } = result;
    const captured = entry.captured;
    entry.nodes = result.statements.map((node) => ({
      captured,
      node,
      sql: sourceText(source, node),
      text: (part) => sourceText(source, part),
    }));
  });
}
