// Per-object ignores ([tool.alembic-review] ignore = [...]): findings that
// have no op.* line to put a suppression comment on (drift, above all) are
// silenced by rule id and object, each entry with the reason it is there.
//
//   ignore = [
//     "drift-index:recipes.ix_recipes_name_trgm  GIN index for search, created in SQL only",
//     { rule = "drift-column-default", object = "users.auth_method", reason = "Python-side default" },
//   ]
//
// In the object, `*` stands for any run of characters ("drift-enum:*").
import type { Finding } from '../model.ts';
import { findingObjects } from './objects.ts';

export interface IgnoreEntry {
  ruleId: string;
  object: string;
  /** Empty when none was given. */
  reason: string;
  /** How the entry is shown in messages ("drift-index:recipes.ix_name"). */
  text: string;
}

/** Why an entry is not valid; the caller says where it is. */
export class IgnoreEntryError extends Error {}

const STRING_FORM = /^([a-z][a-z0-9-]*):(\S+)(?:\s+(.*))?$/;
const TABLE_KEYS = new Set(['rule', 'object', 'reason']);

function cleanReason(reason: string | undefined): string {
  return (reason ?? '').replace(/^\s*(?:#|--?|—)\s*/, '').trim();
}

/** One entry as written: "rule-id:object reason" or { rule, object, reason }. */
export function parseIgnoreEntry(raw: unknown, isRuleId: (id: string) => boolean): IgnoreEntry {
  let ruleId: string;
  let object: string;
  let reason: string;
  if (typeof raw === 'string') {
    const match = STRING_FORM.exec(raw.trim());
    if (match === null) {
      throw new IgnoreEntryError(
        `"${raw}" is not of the form "rule-id:object reason" (for example "drift-index:recipes.ix_recipes_name_trgm GIN index created in SQL")`,
      );
    }
    ruleId = match[1] ?? '';
    object = match[2] ?? '';
    reason = cleanReason(match[3]);
  } else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const table = raw as Record<string, unknown>;
    const unknown = Object.keys(table).filter((k) => !TABLE_KEYS.has(k));
    if (unknown.length > 0)
      throw new IgnoreEntryError(
        `unknown key ${unknown.map((k) => `"${k}"`).join(', ')} (use rule, object, reason)`,
      );
    const { rule, object: obj, reason: why } = table;
    if (typeof rule !== 'string' || rule.trim() === '')
      throw new IgnoreEntryError('a table entry needs rule = "rule-id"');
    if (typeof obj !== 'string' || obj.trim() === '')
      throw new IgnoreEntryError(
        `the entry for ${rule} needs object = "table.name" (the table, column, index or constraint)`,
      );
    if (why !== undefined && typeof why !== 'string') throw new IgnoreEntryError('reason must be a string');
    ruleId = rule.trim();
    object = obj.trim();
    reason = cleanReason(why);
  } else {
    throw new IgnoreEntryError(
      'an entry is a string "rule-id:object reason" or a table { rule, object, reason }',
    );
  }
  if (!isRuleId(ruleId))
    throw new IgnoreEntryError(`"${ruleId}" is not a rule id (\`alembic-review rules\` lists them)`);
  return { ruleId, object, reason, text: `${ruleId}:${object}` };
}

function pattern(object: string): RegExp {
  const escaped = object
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

export class IgnoreList {
  readonly #entries: readonly { entry: IgnoreEntry; test: RegExp }[];
  readonly #used = new Set<IgnoreEntry>();

  constructor(entries: readonly IgnoreEntry[]) {
    this.#entries = entries.map((entry) => ({ entry, test: pattern(entry.object) }));
  }

  /** The entry that silences the finding, if one does (and notes that it was used). */
  match(finding: Finding): IgnoreEntry | undefined {
    const objects = findingObjects(finding);
    for (const { entry, test } of this.#entries) {
      if (entry.ruleId !== finding.ruleId || !objects.some((o) => test.test(o))) continue;
      this.#used.add(entry);
      return entry;
    }
    return undefined;
  }

  /** Entries that matched no finding so far. */
  unused(): IgnoreEntry[] {
    return this.#entries.map((e) => e.entry).filter((e) => !this.#used.has(e));
  }
}
