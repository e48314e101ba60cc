// An ACCESS EXCLUSIVE lock on a live table with no lock_timeout: while the
// ALTER waits behind a long-running query, every read and write of the table
// queues behind the ALTER, and the application stalls. The replay reports the
// locks each statement acquired; offline (or when the statement failed and
// its locks were released) the lock level comes from the statement type.
import type { AlterTableAction, SelectStmt } from 'sql-parser-cst';
import { identifierName, tableOf } from '../names.ts';
import { accessExclusiveTables, observed } from '../replay-facts.ts';
import { actionsOf } from '../syntax.ts';
import type { Statement } from '../../model.ts';
import type { CapturedStatement, LintRule, ParsedStatement, TableRef } from '../types.ts';

const SUGGESTED = '5s';

/** ALTER TABLE actions that take less than ACCESS EXCLUSIVE (PostgreSQL's ALTER TABLE docs). */
function weakerThanAccessExclusive(action: AlterTableAction): boolean {
  switch (action.type) {
    case 'alter_action_add_constraint':
      return action.constraint.type === 'constraint_foreign_key'; // SHARE ROW EXCLUSIVE
    case 'alter_action_validate_constraint': // SHARE UPDATE EXCLUSIVE
    case 'alter_action_set_postgresql_options':
    case 'alter_action_reset_postgresql_options':
    case 'alter_action_cluster_on':
    case 'alter_action_set_without_cluster':
    case 'alter_action_enable': // triggers: SHARE ROW EXCLUSIVE
    case 'alter_action_disable':
      return true;
    case 'alter_action_alter_column':
      return action.action.type === 'alter_action_set_statistics';
    default:
      return false;
  }
}

/** "0", "0ms", DEFAULT (the server default, normally 0): no timeout. */
function isNone(value: string): boolean {
  return /^(?:0+(?:\.0*)?\s*(?:us|ms|s|min|h|d)?|default)$/i.test(value.trim());
}

/** The lock_timeout a statement sets, or undefined when it sets none. */
function setsLockTimeout(statement: ParsedStatement): string | undefined {
  const node = statement.node;
  if (node.type === 'set_parameter_stmt' && identifierName(node.name) === 'lock_timeout') {
    const value = node.value.items[0];
    if (value === undefined) return undefined;
    if (value.type === 'string_literal') return value.value;
    if (value.type === 'number_literal') return String(value.value);
    return statement.text(value);
  }
  if (node.type === 'reset_parameter_stmt') {
    const name = node.name.type === 'all_parameters' ? 'all' : identifierName(node.name);
    return name === 'lock_timeout' || name === 'all' ? 'default' : undefined;
  }
  if (node.type === 'select_stmt') return setConfig(node);
  return undefined;
}

/** SELECT set_config('lock_timeout', '5s', ...). */
function setConfig(node: SelectStmt): string | undefined {
  for (const clause of node.clauses) {
    if (clause.type !== 'select_clause') continue;
    for (const column of clause.columns?.items ?? []) {
      if (column.type !== 'func_call' || identifierName(column.name) !== 'set_config') continue;
      const [name, value] = column.args?.expr.args.items ?? [];
      if (
        name?.type === 'string_literal' &&
        name.value === 'lock_timeout' &&
        value?.type === 'string_literal'
      ) {
        return value.value;
      }
    }
  }
  return undefined;
}

const rule: LintRule = {
  meta: {
    id: 'missing-lock-timeout',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'ACCESS EXCLUSIVE lock taken on a live table with no lock_timeout.',
    docs: 'docs/rules/missing-lock-timeout.md',
  },
  create(context) {
    // Set by the revision itself; else what the replay read when the revision
    // started; else what env.py set (read once env.py's statements are parsed); else none.
    let setInRevision: string | undefined;
    const timeout = (): string => {
      if (setInRevision !== undefined) return setInRevision;
      if (context.revision.lockTimeout !== null) return context.revision.lockTimeout;
      let fromEnvironment = '0';
      for (const statement of context.environment)
        fromEnvironment = setsLockTimeout(statement) ?? fromEnvironment;
      return fromEnvironment;
    };
    const held = new Set<string>();
    const fromSql = new Map<CapturedStatement, TableRef[]>();
    // The replay names a lock's relation as it is after the statement: a dropped
    // table is gone from pg_class, a renamed one has its new name. Those come from the SQL.
    const unnamed = new Map<CapturedStatement, TableRef[]>();
    const unguarded: { captured: CapturedStatement; tables: TableRef[] }[] = [];

    const expect = (
      into: Map<CapturedStatement, TableRef[]>,
      statement: ParsedStatement,
      tables: TableRef[],
    ): void => {
      const list = into.get(statement.captured) ?? [];
      list.push(...tables.filter((t) => context.existedAtBase(t)));
      into.set(statement.captured, list);
    };
    const setting = (statement: ParsedStatement): void => {
      setInRevision = setsLockTimeout(statement) ?? setInRevision;
    };
    // With the replay, locks are facts; the SQL is needed only where the replay cannot tell.
    const replayBlind = (s: Statement): boolean => !context.replayed || s.error !== undefined;
    return {
      needs: {
        set_parameter_stmt: (s) => /lock_timeout/i.test(s.sql),
        reset_parameter_stmt: (s) => /lock_timeout|\bALL\b/i.test(s.sql),
        select_stmt: (s) => /set_config/i.test(s.sql),
        alter_table_stmt: (s) =>
          (replayBlind(s) || /\bRENAME\b|\bSET\s+SCHEMA\b/i.test(s.sql)) && context.mayTargetBaseTable(s),
        truncate_stmt: replayBlind,
      },
      set_parameter_stmt: (_node, statement) => {
        setting(statement);
      },
      reset_parameter_stmt: (_node, statement) => {
        setting(statement);
      },
      select_stmt: (_node, statement) => {
        setting(statement);
      },
      alter_table_stmt(node, statement) {
        const actions = actionsOf(node);
        if (actions.every(weakerThanAccessExclusive)) return;
        const table = context.table(statement, node.table);
        expect(fromSql, statement, [table]);
        if (actions.some((a) => a.type === 'alter_action_rename' || a.type === 'alter_action_set_schema')) {
          expect(unnamed, statement, [table]);
        }
      },
      drop_table_stmt(node, statement) {
        const tables = node.tables.items.flatMap((n) => tableOf(n) ?? []);
        expect(fromSql, statement, tables);
        expect(unnamed, statement, tables);
      },
      truncate_stmt(node, statement) {
        expect(
          fromSql,
          statement,
          node.tables.items.flatMap((n) => tableOf(n) ?? []),
        );
      },
      'statement:exit'(captured) {
        const acquired = observed(context, captured)
          ? [...accessExclusiveTables(context, captured), ...(unnamed.get(captured) ?? [])]
          : (fromSql.get(captured) ?? []);
        const fresh: TableRef[] = [];
        for (const table of acquired) {
          if (held.has(table.key)) continue;
          held.add(table.key);
          fresh.push(table);
        }
        if (fresh.length > 0 && isNone(timeout())) unguarded.push({ captured, tables: fresh });
      },
      'revision:exit'() {
        const first = unguarded[0];
        if (first === undefined) return;
        const tables = unguarded.flatMap((u) => u.tables.map((t) => t.display));
        const [table] = first.tables;
        const more = tables.length - first.tables.length;
        const source = observed(context, first.captured) ? 'took' : 'takes';
        context.report(first.captured, {
          message: `This statement ${source} an ACCESS EXCLUSIVE lock on ${first.tables.map((t) => t.display).join(', ')} with no lock_timeout${more > 0 ? ` (and the revision locks ${more} more: ${tables.slice(first.tables.length).join(', ')})` : ''}: while it waits behind a long-running query, every read and write of the table queues behind it.`,
          ...(table === undefined ? {} : { table: table.display }),
          suggestion: {
            text: `Set lock_timeout before the first ALTER of the revision, so that the migration fails fast (and can be retried) instead of stalling the application. Once in env.py covers every revision: context.execute("SET lock_timeout = '${SUGGESTED}'") inside context.begin_transaction().`,
            code: `op.execute("SET lock_timeout = '${SUGGESTED}'")`,
          },
          details: { tables },
        });
      },
    };
  },
};

export default rule;
