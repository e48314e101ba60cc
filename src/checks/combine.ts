// Related findings said once: a type change that rewrote its table is one
// finding (change-column-type, with the rewrite it caused), not two; a model
// that cannot be stored because a column or table is missing is said by that
// drift finding, not by a second error from the ORM smoke test; the
// revisions of one transaction without a lock_timeout get one
// missing-lock-timeout; drift that differs in name only is one notice that
// lists every object. Runs on the findings after the policy, so ignores and
// severities apply to each original finding.
import { compareSeverity, type Finding } from '../model.ts';
import { findingChange, findingObjects } from '../rules/objects.ts';

export interface Layout {
  /** The new revisions ran in one transaction (Alembic's default: no transaction_per_migration). */
  oneTransaction: boolean;
}

export function combineFindings(findings: readonly Finding[], layout: Layout): Finding[] {
  let combined = ormFailuresIntoDrift(rewritesIntoTypeChanges(findings));
  if (layout.oneTransaction) combined = lockTimeoutPerTransaction(combined);
  return nameOnlyDrift(combined);
}

const moreSevere = (a: Finding, b: Finding): Finding['severity'] =>
  compareSeverity(a.severity, b.severity) <= 0 ? a.severity : b.severity;

/** Where a statement-level finding is: the same statement of the same revision. */
const statementKey = (f: Finding): string =>
  `${f.revision ?? ''}|${f.file ?? ''}|${f.line ?? ''}|${f.table ?? ''}`;

function rewritesIntoTypeChanges(findings: readonly Finding[]): Finding[] {
  const typeChanges = new Map<string, Finding>();
  for (const f of findings) {
    if (f.ruleId === 'change-column-type' && !typeChanges.has(statementKey(f)))
      typeChanges.set(statementKey(f), f);
  }
  const rewrites = new Map<Finding, Finding>(); // type change → the rewrite it absorbs
  const absorbed = new Set<Finding>();
  for (const f of findings) {
    if (f.ruleId !== 'table-rewrite') continue;
    const change = typeChanges.get(statementKey(f));
    if (change === undefined || change.origin !== f.origin || rewrites.has(change)) continue;
    rewrites.set(change, f);
    absorbed.add(f);
  }
  return findings
    .filter((f) => !absorbed.has(f))
    .map((f) => {
      const rewrite = rewrites.get(f);
      if (rewrite === undefined) return f;
      const rows = rewrite.details?.rows;
      const said = f.details?.rewrote === true;
      return {
        ...f,
        severity: moreSevere(f, rewrite),
        message: said
          ? `${f.message}${typeof rows === 'number' ? ` (${rows} rows here, all copied)` : ''}`
          : `${f.message} On the replay it did: ${rewrite.table ?? 'the table'} was rewritten${typeof rows === 'number' ? ` (${rows} rows here, all copied)` : ''}.`,
        details: { ...f.details, rewrote: true, ...(typeof rows === 'number' ? { rows } : {}) },
      };
    });
}

/** SQLSTATEs of an ORM insert that fails because the table or a column is not there. */
const MISSING_OBJECT = new Set(['42703', '42P01']);

function ormFailuresIntoDrift(findings: readonly Finding[]): Finding[] {
  const explains = (f: Finding, orm: Finding): boolean =>
    (f.ruleId === 'drift-column-missing' || f.ruleId === 'drift-table-missing') &&
    f.table === orm.table &&
    f.origin === orm.origin;
  const merged = new Map<Finding, Finding[]>();
  const absorbed = new Set<Finding>();
  for (const orm of findings) {
    const sqlstate = orm.details?.sqlstate;
    if (orm.ruleId !== 'orm-insert-failed' || typeof sqlstate !== 'string' || !MISSING_OBJECT.has(sqlstate))
      continue;
    const drift = findings.find((f) => explains(f, orm));
    if (drift === undefined) continue;
    merged.set(drift, [...(merged.get(drift) ?? []), orm]);
    absorbed.add(orm);
  }
  return findings
    .filter((f) => !absorbed.has(f))
    .map((f) => {
      const orms = merged.get(f);
      if (orms === undefined) return f;
      const classes = orms.map((o) => {
        const name = o.details?.className;
        return typeof name === 'string' ? name : '?';
      });
      const [orm] = orms;
      // Where the model class is, when the drift finding points nowhere.
      const at =
        f.file === undefined && orm?.file !== undefined
          ? { file: orm.file, ...(orm.line === undefined ? {} : { line: orm.line }) }
          : {};
      return {
        ...f,
        ...at,
        severity: orms.reduce((s, o) => moreSevere({ ...o, severity: s }, o), f.severity),
        message: `${f.message} The application fails on it: storing ${classes.join(', ')} through a Session fails (the ORM smoke test).`,
        details: { ...f.details, ormFailures: classes },
      };
    });
}

function lockTimeoutPerTransaction(findings: readonly Finding[]): Finding[] {
  const unguarded = findings.filter((f) => f.ruleId === 'missing-lock-timeout' && f.origin !== 'base');
  const [first, ...others] = unguarded;
  if (first === undefined || others.length === 0) return [...findings];
  const tablesOf = (f: Finding): string[] => {
    const tables = f.details?.tables;
    return Array.isArray(tables) ? tables.filter((t): t is string => typeof t === 'string') : [];
  };
  const revisions = [...new Set(others.map((f) => f.revision ?? '?'))];
  // Sorted: a revision that loops over a Python set emits its statements in another order each run.
  const later = [...new Set(others.flatMap(tablesOf))].sort();
  const merged: Finding = {
    ...first,
    severity: others.reduce((s, f) => moreSevere({ ...f, severity: s }, f), first.severity),
    message: `${first.message} The upgrade runs the new revisions in one transaction, so the lock_timeout that guards this statement guards the later ones too: ${few(revisions)} also ${later.length === 0 ? 'lock tables' : `lock ${few(later)}`} without one.`,
    details: {
      ...first.details,
      tables: [...new Set([...tablesOf(first), ...later])],
      revisions: [first.revision ?? '?', ...revisions],
    },
  };
  const dropped = new Set(others);
  return findings.filter((f) => !dropped.has(f)).map((f) => (f === first ? merged : f));
}

/** "a, b, c" — the first ten, then how many more. */
function few(names: readonly string[]): string {
  return names.length <= 10
    ? names.join(', ')
    : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

const NAME_ONLY = new Set(['renamed', 'enforced-by-index', 'enforced-by-constraint']);

function nameOnly(f: Finding): boolean {
  return f.category === 'drift' && f.severity === 'notice' && NAME_ONLY.has(findingChange(f));
}

/** One notice per origin for the drift that differs in name only. */
function nameOnlyDrift(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings.filter(nameOnly)) {
    const origin = f.origin ?? 'pr';
    groups.set(origin, [...(groups.get(origin) ?? []), f]);
  }
  const replacement = new Map<Finding, Finding | null>();
  for (const group of groups.values()) {
    const [first] = group;
    if (first === undefined || group.length < 2) continue;
    for (const f of group) replacement.set(f, null);
    replacement.set(first, nameOnlyNotice(group));
  }
  return findings.flatMap((f) => {
    const replaced = replacement.get(f);
    return replaced === undefined ? [f] : replaced === null ? [] : [replaced];
  });
}

function nameOnlyNotice(group: readonly Finding[]): Finding {
  const [head] = group;
  if (head === undefined) throw new Error('empty group');
  // Several tables: the notice is about none of them in particular.
  const { table, column: _column, ...first } = head;
  const oneTable = group.every((f) => f.table === table);
  const objects = group.map((f) => ({
    ruleId: f.ruleId,
    table: f.table ?? null,
    objects: findingObjects(f),
    message: f.message,
  }));
  const codes = group.map((f) => f.suggestion?.code).filter((c): c is string => c !== undefined && c !== '');
  return {
    ...first,
    ...(oneTable && table !== undefined ? { table } : {}),
    message: `${group.length} indexes and constraints differ from the models in name only (the database enforces the same thing under another name): ${group.map((f) => f.message.replace(/\.$/, '')).join('; ')}.`,
    details: { change: 'renamed', objects },
    suggestion: {
      text: "Rename them to the models' names in a new revision, or give the models' MetaData the naming_convention the migrations used, so that both agree.",
      ...(codes.length === 0 ? {} : { code: codes.join('\n') }),
    },
  };
}
