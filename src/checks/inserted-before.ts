// inserted-before-applied-revision: a new revision placed before one that
// already existed at the base (that revision's down_revision now points at
// it). Databases already at the existing revision are past the new one in
// the graph: `alembic upgrade head` never runs it there.
import type { Finding } from '../model.ts';
import type { ReplayPlan } from '../replay/plan.ts';
import { finding } from './finding.ts';

export function insertedBeforeApplied(plan: ReplayPlan, relative: (file: string) => string): Finding[] {
  return plan.insertedBefore.map(({ revision, existing }) =>
    finding({
      ruleId: 'inserted-before-applied-revision',
      message: `New revision ${revision.id} is placed before revision ${existing.id} (${relative(existing.path)}), which already existed at the base: its down_revision now points at ${revision.id}. Databases already at ${existing.id} — production, staging, every developer's — count ${revision.id} as applied and will never run it.`,
      file: relative(revision.path),
      revision: revision.id,
      details: { before: existing.id },
      suggestion: {
        text: `Make ${revision.id} a new head: set its down_revision to the current head and restore the down_revision of ${existing.id}. If the two must stay on separate branches, join them with \`alembic merge\` instead of re-pointing ${existing.id}.`,
        code: `# in ${relative(revision.path)}\ndown_revision = "${existing.id}"  # or the current head\n# and in ${relative(existing.path)}: restore its original down_revision`,
      },
    }),
  );
}
