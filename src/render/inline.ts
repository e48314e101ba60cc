// The body of an inline review comment: the findings on one line of a
// migration, each with its rule (linked to the docs), message and suggested
// fix. Everything from the pull request is escaped as in the main comment.
import { sameEdit } from '../fix/edit.ts';
import type { Edit, Finding } from '../model.ts';
import { docsUrl, isRuleId } from '../rules/catalog.ts';
import { code, codeBlock, link, text, truncate } from './escape.ts';
import { SEVERITY_ICON } from './words.ts';

const MESSAGE_LIMIT = 1500;
const CODE_LIMIT = 6000;

/** A GitHub suggestion block: "Commit suggestion" replaces the commented lines with exactly these. */
export function suggestionBlock(edit: Edit): string {
  // Not through codeBlock: the lines must stay byte for byte (trailing whitespace included).
  // eslint-disable-next-line no-control-regex
  const body = edit.replacement.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return `${fence}suggestion\n${body}\n${fence}`;
}

function longestBacktickRun(value: string): number {
  return Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
}

function signature(project: string): string {
  return `<sub>${project === '.' ? 'alembic-review' : `alembic-review · ${text(project)}`}</sub>`;
}

/**
 * The inline comment on one line (or, with a suggestion, on the lines its
 * edit replaces): each finding with its rule, message and fix; the finding
 * the edit belongs to shows the suggestion instead of code to copy.
 */
export function renderInlineComment(
  findings: readonly Finding[],
  project: string,
  suggestionFor?: { finding: Finding; edit: Edit },
): string {
  const parts = findings.map((finding) => {
    const rule = link(code(finding.ruleId), isRuleId(finding.ruleId) ? docsUrl(finding.ruleId) : undefined);
    const lines = [
      `${SEVERITY_ICON[finding.severity]} **${finding.severity}** ${rule}: ${text(truncate(finding.message, MESSAGE_LIMIT))}`,
    ];
    const suggestion = finding.suggestion;
    if (suggestion !== undefined) {
      lines.push('', `💡 **Fix:** ${text(truncate(suggestion.text, MESSAGE_LIMIT))}`);
      const edit = suggestionFor?.finding === finding ? suggestionFor.edit : undefined;
      const shared =
        suggestionFor !== undefined &&
        edit === undefined &&
        (suggestion.edits ?? []).some((e) => sameEdit(e, suggestionFor.edit));
      if (edit !== undefined) {
        lines.push('', suggestionBlock(edit));
        if (edit.note !== undefined) lines.push('', text(edit.note));
      } else if (shared) {
        lines.push('', 'The suggestion in this comment fixes this one too.');
      } else if (suggestion.code !== undefined && suggestion.code.trim() !== '') {
        lines.push('', codeBlock(truncate(suggestion.code, CODE_LIMIT), 'python'));
      }
    }
    return lines.join('\n');
  });
  return `${parts.join('\n\n')}\n\n${signature(project)}\n`;
}

/** The comment on the other lines a fix edits (e.g. downgrade() of a rename): that part of the fix. */
export function renderCompanionComment(finding: Finding, edit: Edit, project: string): string {
  const rule = link(code(finding.ruleId), isRuleId(finding.ruleId) ? docsUrl(finding.ruleId) : undefined);
  const lines = [
    `💡 **Fix, continued:** the same change here for ${rule} (${text(truncate(finding.message, 200))})`,
    '',
    suggestionBlock(edit),
  ];
  if (edit.note !== undefined) lines.push('', text(edit.note));
  return `${lines.join('\n')}\n\n${signature(project)}\n`;
}
