// The body of an inline review comment: the findings on one line of a
// migration, each with its rule (linked to the docs), message and suggested
// fix. Everything from the pull request is escaped as in the main comment.
import type { Finding } from '../model.ts';
import { docsUrl, isRuleId } from '../rules/catalog.ts';
import { code, codeBlock, link, text, truncate } from './escape.ts';
import { SEVERITY_ICON } from './words.ts';

const MESSAGE_LIMIT = 1500;
const CODE_LIMIT = 6000;

export function renderInlineComment(findings: readonly Finding[], project: string): string {
  const parts = findings.map((finding) => {
    const rule = link(code(finding.ruleId), isRuleId(finding.ruleId) ? docsUrl(finding.ruleId) : undefined);
    const lines = [
      `${SEVERITY_ICON[finding.severity]} **${finding.severity}** ${rule}: ${text(truncate(finding.message, MESSAGE_LIMIT))}`,
    ];
    const suggestion = finding.suggestion;
    if (suggestion !== undefined) {
      lines.push('', `💡 **Fix:** ${text(truncate(suggestion.text, MESSAGE_LIMIT))}`);
      if (suggestion.code !== undefined && suggestion.code.trim() !== '') {
        lines.push('', codeBlock(truncate(suggestion.code, CODE_LIMIT), 'python'));
      }
    }
    return lines.join('\n');
  });
  const origin = project === '.' ? 'alembic-review' : `alembic-review · ${text(project)}`;
  return `${parts.join('\n\n')}\n\n<sub>${origin}</sub>\n`;
}
