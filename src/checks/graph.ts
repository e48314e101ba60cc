// Findings about the revision graph itself: several heads after the change,
// new revisions with an empty downgrade or no operations at all (merge
// revisions excepted), and edits to revisions that already exist on the base
// branch.
import type { BridgeRevision } from '../alembic/protocol.ts';
import type { Finding } from '../model.ts';
import type { ReplayPlan } from '../replay/plan.ts';
import { finding } from './finding.ts';

export function checkGraph(plan: ReplayPlan, relative: (file: string) => string): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map([...plan.newRevisions, ...plan.modified].map((r) => [r.id, r]));

  if (plan.heads.length > 1 && plan.newRevisions.length > 0) {
    const newHeads = plan.heads.filter((h) => byId.has(h));
    const anchor = byId.get(newHeads[0] ?? '');
    findings.push(
      finding({
        ruleId: 'multiple-heads',
        message: `After this change the revision graph has ${plan.heads.length} heads (${plan.heads.join(', ')}): \`alembic upgrade head\` refuses to run, and deploys that use \`heads\` apply the branches in an undefined order.`,
        ...(anchor === undefined ? {} : { file: relative(anchor.path), revision: anchor.id }),
        details: { heads: plan.heads },
        suggestion: {
          text: 'Merge the heads into one with a merge revision (or rebase the new revision onto the current head).',
          code: `# alembic merge -m "merge heads" ${plan.heads.join(' ')}`,
        },
      }),
    );
  }

  for (const revision of plan.newRevisions) {
    const ops = revision.upgradeOps ?? [];
    // A merge revision (`alembic merge`) joins heads and has nothing else to do.
    const merge = revision.downRevisions.length > 1;
    if (revision.upgradeEmpty === true && !merge) {
      findings.push(
        finding({
          ruleId: 'empty-revision',
          message: `Revision ${revision.id} has no operations: its upgrade() does nothing (an autogenerate run that found no changes leaves such a file).`,
          ...at(revision, revision.upgradeLine, relative),
          suggestion: { text: 'Delete the revision file, or add the operations it was meant to carry.' },
        }),
      );
    } else if (ops.length > 0 && revision.downgradeEmpty === true) {
      findings.push(
        finding({
          ruleId: 'missing-downgrade',
          message: `Revision ${revision.id} changes the schema (${summarizeOps(ops.map((o) => o.op))}) but its downgrade() is empty: \`alembic downgrade\` past it silently leaves the schema changed.`,
          ...at(revision, revision.downgradeLine, relative),
          suggestion: {
            text: 'Write the inverse operations in downgrade(), or raise an error there if the change cannot be undone.',
            code: 'def downgrade():\n    raise NotImplementedError("this migration cannot be undone")',
          },
        }),
      );
    }
  }

  for (const revision of plan.modified) {
    findings.push(
      finding({
        ruleId: 'modified-existing-revision',
        message: `Revision ${revision.id} already exists on the base branch and was edited: databases that already ran it will not run it again, so the edit never reaches them.`,
        file: relative(revision.path),
        revision: revision.id,
        suggestion: { text: 'Revert the edit and put the change in a new revision.' },
      }),
    );
  }
  return findings;
}

function at(revision: BridgeRevision, line: number | null | undefined, relative: (file: string) => string) {
  return {
    file: relative(revision.path),
    revision: revision.id,
    ...(line === null || line === undefined ? {} : { line }),
  };
}

function summarizeOps(ops: string[]): string {
  const unique = [...new Set(ops)];
  return unique.length <= 3 ? unique.map((o) => `op.${o}`).join(', ') : `${unique.length} kinds of operation`;
}
