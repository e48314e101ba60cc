// CREATE INDEX / DROP INDEX / REINDEX ... CONCURRENTLY cannot run inside a
// transaction block, and Alembic runs every migration in one: the revision
// fails. Online, the replay's error says so (SQLSTATE 25001); offline, the
// statement is in a transaction unless a COMMIT (Alembic's autocommit_block)
// came before it in the revision.
import type { Node } from 'sql-parser-cst';
import { concurrentCreateIndex, schemaArg } from '../alembic-code.ts';
import { identifierName, tableOf } from '../names.ts';
import type { Statement } from '../../model.ts';
import { py } from '../python.ts';
import type { LintRule, ParsedStatement, RuleContext } from '../types.ts';

const ACTIVE_SQL_TRANSACTION = '25001';

function dropIndexCode(statement: ParsedStatement, names: readonly Node[]): string {
  const calls = names.map((name) => {
    const index = tableOf(name);
    const text = index === undefined ? statement.text(name) : index.name;
    return `    op.drop_index(${py(text)}${index === undefined ? '' : schemaArg(index)}, postgresql_concurrently=True)`;
  });
  return ['with op.get_context().autocommit_block():', ...calls].join('\n');
}

function inTransaction(context: RuleContext, statement: ParsedStatement, committed: boolean): boolean {
  if (context.replayed) {
    const error = statement.captured.statement.error;
    return (
      error?.sqlstate === ACTIVE_SQL_TRANSACTION ||
      /cannot run inside a transaction block/i.test(error?.message ?? '')
    );
  }
  return !committed;
}

const rule: LintRule = {
  meta: {
    id: 'concurrently-in-transaction',
    category: 'lint',
    defaultSeverity: 'error',
    summary: 'CONCURRENTLY cannot run inside the migration transaction.',
    docs: 'docs/rules/concurrently-in-transaction.md',
  },
  create(context) {
    // Offline: Alembic opens the revision's transaction; autocommit_block emits COMMIT ... BEGIN.
    let committed = false;
    const report = (
      statement: ParsedStatement,
      what: string,
      table: string | undefined,
      code: string,
    ): void => {
      context.report(statement, {
        message: `${what} cannot run inside a transaction block, and Alembic runs each migration in one: the revision fails (SQLSTATE ${ACTIVE_SQL_TRANSACTION}).`,
        ...(table === undefined ? {} : { table }),
        suggestion: {
          text: 'Run it in an autocommit block: Alembic commits the migration transaction before the block and starts a new one after it.',
          code,
        },
      });
    };
    const concurrently = (s: Statement): boolean => /\bCONCURRENTLY\b/i.test(s.sql);
    return {
      needs: { create_index_stmt: concurrently, drop_index_stmt: concurrently, reindex_stmt: concurrently },
      commit_transaction_stmt() {
        committed = true;
      },
      start_transaction_stmt() {
        committed = false;
      },
      create_index_stmt(node, statement) {
        if (node.concurrentlyKw === undefined || !inTransaction(context, statement, committed)) return;
        const table = context.table(statement, node.table);
        const name = node.name === undefined ? '' : ` ${statement.text(node.name)}`;
        report(
          statement,
          `CREATE INDEX CONCURRENTLY${name} ON ${table.display}`,
          table.display,
          concurrentCreateIndex(statement, node, table),
        );
      },
      drop_index_stmt(node, statement) {
        if (node.concurrentlyKw === undefined || !inTransaction(context, statement, committed)) return;
        const names = node.indexes.items;
        report(
          statement,
          `DROP INDEX CONCURRENTLY ${names.map((n) => statement.text(n)).join(', ')}`,
          undefined,
          dropIndexCode(statement, names),
        );
      },
      reindex_stmt(node, statement) {
        const concurrently =
          node.concurrentlyKw !== undefined ||
          (node.options?.expr.items.some(
            (o) => o.type === 'reindex_option_concurrently' && o.value?.value !== false,
          ) ??
            false);
        if (!concurrently || !inTransaction(context, statement, committed)) return;
        const target = node.name === undefined ? undefined : identifierName(node.name);
        report(
          statement,
          `REINDEX ${node.targetKw?.name ?? ''} CONCURRENTLY ${target ?? ''}`.replace(/\s+/g, ' ').trim(),
          undefined,
          ['with op.get_context().autocommit_block():', `    op.execute(${py(statement.sql)})`].join('\n'),
        );
      },
    };
  },
};

export default rule;
