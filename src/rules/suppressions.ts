// `# alembic-review: ignore[rule-id, other-id] reason` comments in Python
// source: which rule ids each line silences, and why.

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  ruleIds: string[];
  /** The text after the bracket; empty when none was given. */
  reason: string;
}

const MARKER = /#\s*alembic-review:\s*ignore\[([^\]]*)\](.*)$/;

/** Every suppression comment of a file, by the line it is on. */
export function readSuppressions(source: string): Map<number, Suppression> {
  const found = new Map<number, Suppression>();
  source.split(/\r?\n/).forEach((text, index) => {
    const match = MARKER.exec(text);
    if (match === null) return;
    const ruleIds = (match[1] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    found.set(index + 1, { line: index + 1, ruleIds, reason: (match[2] ?? '').trim() });
  });
  return found;
}

/** The suppression that silences `ruleId` at `line`: on that line or the line above. */
export function suppressionFor(
  suppressions: ReadonlyMap<number, Suppression>,
  ruleId: string,
  line: number,
): Suppression | undefined {
  for (const at of [line, line - 1]) {
    const suppression = suppressions.get(at);
    if (suppression?.ruleIds.includes(ruleId) === true) return suppression;
  }
  return undefined;
}
