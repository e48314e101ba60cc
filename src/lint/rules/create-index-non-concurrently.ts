// CREATE INDEX without CONCURRENTLY on a live table holds a SHARE lock for
// the whole build: reads go on, every INSERT, UPDATE and DELETE waits.
import { concurrentCreateIndex } from '../alembic-code.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'create-index-non-concurrently',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'CREATE INDEX without CONCURRENTLY blocks writes to the table.',
    docs: 'docs/rules/create-index-non-concurrently.md',
  },
  create(context) {
    return {
      needs: { create_index_stmt: (s) => !/\bCONCURRENTLY\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      create_index_stmt(node, statement) {
        if (node.concurrentlyKw !== undefined) return;
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        const kind = node.indexTypeKw === undefined ? 'INDEX' : `${node.indexTypeKw.name} INDEX`;
        const name = node.name === undefined ? '' : ` ${statement.text(node.name)}`;
        context.report(statement, {
          message: `CREATE ${kind}${name} ON ${table.display} takes a SHARE lock on ${table.display} for the whole build: every INSERT, UPDATE and DELETE on ${table.display} waits until the index is built.`,
          table: table.display,
          suggestion: {
            text: `Build the index CONCURRENTLY, outside the migration's transaction (and drop it with postgresql_concurrently=True in downgrade()).`,
            code: concurrentCreateIndex(statement, node, table),
          },
        });
      },
    };
  },
};

export default rule;
