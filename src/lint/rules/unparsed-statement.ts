// A statement sql-parser-cst cannot read is reported, not linted: the
// reviewer then knows that no rule looked at it.
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'unparsed-statement',
    category: 'lint',
    defaultSeverity: 'notice',
    summary: 'A statement the SQL parser could not read was not linted.',
    docs: 'docs/rules/unparsed-statement.md',
  },
  create(context) {
    return {
      unparsed({ captured, error }) {
        context.report(captured, {
          message: `The SQL parser could not read this statement, so no lint rule checked it (${error}).`,
          suggestion: {
            text: `Review this statement by hand. If it is valid PostgreSQL, the parser (sql-parser-cst) does not support it yet${context.replayed ? '; the replay still ran it, so runtime findings cover it' : ''}.`,
          },
          details: { parserError: error },
        });
      },
    };
  },
};

export default rule;
