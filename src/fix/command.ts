// `alembic-review fix [--rule …] [--dry-run]`: reviews, then makes the fixes
// that are edits of the migration files — the same edits as the one-click
// suggestions on the pull request — or, with --dry-run, prints them as a diff.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { Review } from '../model.ts';
import { isRuleId } from '../rules/catalog.ts';
import { plural } from '../render/words.ts';
import { applyEdits, planFixes, unifiedDiff } from './apply.ts';
import { FIXABLE_RULES } from './fixes.ts';

export interface FixSettings {
  /** Only findings of these rules (all fixable rules when empty). */
  rules: string[];
  dryRun: boolean;
}

export interface FixOutcome {
  /** Files changed (or, with --dry-run, that would be). */
  files: string[];
  fixed: number;
  /** Findings of the selected rules left as they are (no edit for them, or one colliding with another). */
  unfixed: number;
}

export function checkRules(rules: readonly string[]): string[] {
  const ids = rules.map((r) => r.trim()).filter((r) => r !== '');
  for (const id of ids) {
    if (!isRuleId(id))
      throw new UsageError(
        'usage',
        `--rule: unknown rule id "${id}". Run \`alembic-review rules\` for the list.`,
      );
    if (!FIXABLE_RULES.includes(id)) {
      throw new UsageError(
        'usage',
        `--rule: ${id} has no fix that edits the migration file. Rules with one: ${FIXABLE_RULES.join(', ')}.`,
      );
    }
  }
  return ids;
}

/** Makes (or prints) the edits of a review whose findings carry them; root: what their paths are relative to. */
export async function fixReview(
  review: Review,
  root: string,
  settings: FixSettings,
  print: (text: string) => void,
): Promise<FixOutcome> {
  const selected = review.findings.filter(
    (f) =>
      FIXABLE_RULES.includes(f.ruleId) && (settings.rules.length === 0 || settings.rules.includes(f.ruleId)),
  );
  const plan = planFixes(selected);
  const files: string[] = [];
  for (const [file, edits] of plan.byFile) {
    const absolute = path.join(root, file);
    const text = await readFile(absolute, 'utf8');
    files.push(file);
    if (settings.dryRun) print(unifiedDiff(file, text, edits));
    else await writeFile(absolute, applyEdits(text, edits));
  }
  const outcome = { files, fixed: plan.fixed.length, unfixed: selected.length - plan.fixed.length };
  const verb = settings.dryRun ? 'would fix' : 'fixed';
  print(
    `alembic-review: ${verb} ${plural(outcome.fixed, 'finding')} in ${plural(files.length, 'file')}${outcome.unfixed > 0 ? `; ${plural(outcome.unfixed, 'finding')} of fixable rules need a change by hand (see \`alembic-review review\`)` : ''}.\n`,
  );
  for (const finding of plan.fixed) {
    for (const note of new Set(
      (finding.suggestion?.edits ?? []).flatMap((e) => (e.note === undefined ? [] : [e.note])),
    ))
      print(`  ${finding.file ?? ''}: ${note}\n`);
  }
  return outcome;
}
