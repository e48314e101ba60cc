// The pull request comment (and, with bigger limits, the job summary): the
// verdict first, the counts, an overview of the new revisions, then a section
// per new revision with its findings, suggested fixes as python blocks and the
// captured SQL (collapsed), the drift table, other findings, the revision
// graph (collapsed) and a footer with versions, timings and the run link.
//
// When the body is too big it is made smaller step by step: without the SQL,
// then without code and graph, then cut at a block boundary with a pointer to
// the full report. Everything that comes from the pull request is escaped
// (escape.ts).
import type { Finding, Review, Revision, Statement } from '../model.ts';
import { docsUrl, isRuleId } from '../rules/catalog.ts';
import { baseHeading, fixedItems, fixedSummary } from './base-section.ts';
import { estimateFact, estimatesMarkdown, preflightMarkdown } from './data-checks.ts';
import { code, codeBlock, htmlText, link, text, truncate } from './escape.ts';
import { revisionGraph } from './mermaid.ts';
import { sectionsOf } from './sections.ts';
import { duration, plural, SEVERITY_ICON } from './words.ts';

/** GitHub refuses issue comments longer than this many characters. */
export const COMMENT_LIMIT = 65_536;

export interface MarkdownOptions {
  /** Largest acceptable body, as measured by `measure` (default: no limit). */
  maxLength?: number;
  /** How the limit is measured (default: string length; the job summary counts bytes). */
  measure?: (markdown: string) => number;
  /** URL of a file (and line) at the reviewed commit, for links. */
  fileUrl?: (file: string, line?: number) => string | undefined;
  /** Where the full report is, named when the body had to be cut (default: the run). */
  fullReport?: { label: string; url: string | undefined };
  /** Trusted first line(s), e.g. the sticky comment's hidden marker. */
  preamble?: string;
  /** Longest SQL statement shown (characters; default 4000). */
  sqlLimit?: number;
}

interface Detail {
  sql: boolean;
  code: boolean;
  graph: boolean;
}

const LEVELS: readonly Detail[] = [
  { sql: true, code: true, graph: true },
  { sql: false, code: true, graph: true },
  { sql: false, code: false, graph: false },
];

interface Block {
  markdown: string;
  /** Findings this block shows (counted when it is cut away). */
  findings: number;
  /** Header and footer are never cut. */
  fixed: boolean;
}

const MESSAGE_LIMIT = 1500;
const CODE_LIMIT = 6000;

interface Context {
  review: Review;
  options: MarkdownOptions;
  detail: Detail;
}

function block(markdown: string, findings = 0, fixed = false): Block {
  return { markdown, findings, fixed };
}

function ruleLink(ruleId: string): string {
  return link(code(ruleId), isRuleId(ruleId) ? docsUrl(ruleId) : undefined);
}

function fileLink(ctx: Context, file: string, line?: number, label?: string): string {
  return link(
    label ?? code(line === undefined ? file : `${file}:${line}`),
    ctx.options.fileUrl?.(file, line),
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? '';
}

function verdictHeading(review: Review): string {
  const { errors, warnings, verdict } = review.summary;
  if (verdict === 'fail') {
    const blocking = review.failOn === 'warning' ? errors + warnings : errors;
    const what = review.failOn === 'warning' ? 'finding' : 'error';
    return `### ❌ alembic-review: merge blocked by ${plural(blocking, what)}`;
  }
  if (errors + warnings > 0)
    return `### ✅ alembic-review: passed with ${plural(errors + warnings, 'finding')} to look at`;
  return '### ✅ alembic-review: passed';
}

function header(ctx: Context): Block {
  const { review } = ctx;
  const { summary } = review;
  const newCount = review.revisions.filter((r) => r.new).length;
  const lines = [
    ...(ctx.options.preamble === undefined ? [] : [ctx.options.preamble]),
    verdictHeading(review),
    '',
    `${SEVERITY_ICON.error} **${plural(summary.errors, 'error')}** · ${SEVERITY_ICON.warning} **${plural(summary.warnings, 'warning')}** · ${SEVERITY_ICON.notice} ${plural(summary.notices, 'notice')} · fail-on: ${code(review.failOn)}`,
    '',
    newCount === 0
      ? `No new Alembic revisions in ${code(review.project)} since ${code(review.base)}: nothing was replayed.`
      : `${plural(newCount, 'new revision')} in ${code(review.project)} since ${code(review.base)}, replayed one by one on a throwaway PostgreSQL.`,
  ];
  const fixed = fixedSummary(review);
  if (fixed !== null) {
    lines.push(
      '',
      `✨ **${text(fixed)}:** ${fixedItems(review)
        .map((item) => text(truncate(item, 160)))
        .join(' · ')}`,
    );
  }
  return block(lines.join('\n'), 0, true);
}

type ReplayState = 'applied' | 'failed' | 'not reached' | 'not applied';

/** What happened to a new revision in the replay; "not reached" when an earlier one failed. */
function replayState(revision: Revision, newRevisions: readonly Revision[]): ReplayState {
  if (revision.applied) return 'applied';
  if (revision.statements.some((s) => s.error !== undefined)) return 'failed';
  const earlier = newRevisions.slice(0, newRevisions.indexOf(revision));
  return earlier.some((r) => !r.applied) ? 'not reached' : 'not applied';
}

function replayText(revision: Revision, state: ReplayState): string {
  switch (state) {
    case 'applied':
      return `applied in ${duration(revision.durationMs)}`;
    case 'failed':
      return '**failed**';
    case 'not reached':
      return 'not applied: an earlier revision failed';
    case 'not applied':
      return '**not applied**';
  }
}

function revisionIcon(state: ReplayState, findings: readonly Finding[]): string {
  if (state === 'failed' || state === 'not applied' || findings.some((f) => f.severity === 'error'))
    return '❌';
  if (findings.some((f) => f.severity === 'warning')) return '⚠️';
  return state === 'not reached' ? '⏭️' : '✅';
}

function findingCounts(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'none';
  const parts: string[] = [];
  for (const severity of ['error', 'warning', 'notice'] as const) {
    const n = findings.filter((f) => f.severity === severity).length;
    if (n > 0) parts.push(`${SEVERITY_ICON[severity]} ${plural(n, severity)}`);
  }
  return parts.join(', ');
}

function overview(
  ctx: Context,
  newRevisions: readonly Revision[],
  byRevision: Map<string, Finding[]>,
): Block {
  const rows = newRevisions.map((r) => {
    const findings = byRevision.get(r.id) ?? [];
    const state = replayState(r, newRevisions);
    const message = text(truncate(firstLine(r.message), 80));
    return `| ${revisionIcon(state, findings)} | ${code(truncate(r.id, 40), { inTable: true })} | ${message} | ${replayText(r, state)} | ${findingCounts(findings)} |`;
  });
  return block(
    ['| | Revision | Message | Replay | Findings |', '| --- | --- | --- | --- | --- |', ...rows].join('\n'),
  );
}

function findingBlock(ctx: Context, finding: Finding, revision?: Revision): Block {
  const where =
    finding.file !== undefined
      ? revision !== undefined && finding.file === revision.path && finding.line !== undefined
        ? fileLink(ctx, finding.file, finding.line, `line ${finding.line}`)
        : fileLink(ctx, finding.file, finding.line)
      : finding.table !== undefined
        ? code(finding.column === undefined ? finding.table : `${finding.table}.${finding.column}`)
        : undefined;
  const lines = [
    `${SEVERITY_ICON[finding.severity]} **${finding.severity}** ${ruleLink(finding.ruleId)}${where === undefined ? '' : ` at ${where}`}: ${text(truncate(finding.message, MESSAGE_LIMIT))}`,
  ];
  lines.push(...preflightMarkdown(finding, ctx.detail.code));
  const suggestion = finding.suggestion;
  if (suggestion !== undefined) {
    lines.push('', `💡 **Fix:** ${text(truncate(suggestion.text, MESSAGE_LIMIT))}`);
    if (ctx.detail.code && suggestion.code !== undefined && suggestion.code.trim() !== '') {
      lines.push('', codeBlock(truncate(suggestion.code, CODE_LIMIT), 'python'));
    }
  }
  return block(lines.join('\n'), 1);
}

/** Errors and warnings one by one; notices (context, not problems) folded into one collapsed block. */
function findingBlocks(ctx: Context, findings: readonly Finding[], revision?: Revision): Block[] {
  const blocks = findings.filter((f) => f.severity !== 'notice').map((f) => findingBlock(ctx, f, revision));
  const notices = findings.filter((f) => f.severity === 'notice');
  if (notices.length > 0) {
    const inner = notices.map((f) => findingBlock(ctx, f, revision).markdown).join('\n\n');
    const summary = `${SEVERITY_ICON.notice} ${plural(notices.length, 'notice')}`;
    blocks.push(
      block(`<details><summary>${htmlText(summary)}</summary>\n\n${inner}\n\n</details>`, notices.length),
    );
  }
  return blocks;
}

function sqlComment(statement: Statement): string {
  const facts: string[] = [
    statement.line === null ? 'line ?' : `line ${statement.line}`,
    duration(statement.durationMs),
  ];
  const exclusive = [
    ...new Set(statement.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.relation)),
  ];
  if (exclusive.length > 0) facts.push(`ACCESS EXCLUSIVE lock on ${exclusive.join(', ')}`);
  if (statement.rewrote.length > 0) facts.push(`rewrote ${statement.rewrote.join(', ')}`);
  const estimate = estimateFact(statement);
  if (estimate !== null) facts.push(estimate);
  if (statement.error !== undefined) {
    const state = statement.error.sqlstate === undefined ? '' : ` (SQLSTATE ${statement.error.sqlstate})`;
    facts.push(`FAILED: ${firstLine(statement.error.message)}${state}`);
  }
  return `-- ${facts.join(' · ').replace(/\s+/g, ' ')}`;
}

function sqlBlock(ctx: Context, revision: Revision): Block | null {
  if (!ctx.detail.sql || revision.statements.length === 0) return null;
  const limit = ctx.options.sqlLimit ?? 4000;
  const body = revision.statements
    .map((s) => `${sqlComment(s)}\n${truncate(s.sql.trim(), limit)}${s.sql.trim().endsWith(';') ? '' : ';'}`)
    .join('\n\n');
  const total = revision.statements.reduce((sum, s) => sum + s.durationMs, 0);
  const summary = `SQL it ran: ${plural(revision.statements.length, 'statement')}, ${duration(total)}`;
  return block(`<details><summary>${htmlText(summary)}</summary>\n\n${codeBlock(body, 'sql')}\n\n</details>`);
}

function revisionBlocks(
  ctx: Context,
  revision: Revision,
  findings: readonly Finding[],
  newRevisions: readonly Revision[],
): Block[] {
  const state = replayState(revision, newRevisions);
  const facts = [fileLink(ctx, revision.path)];
  if (revision.downRevisions.length > 0)
    facts.push(`after ${revision.downRevisions.map((d) => code(truncate(d, 40))).join(', ')}`);
  facts.push(replayText(revision, state));
  const message = firstLine(revision.message);
  const heading = `#### ${revisionIcon(state, findings)} ${code(truncate(revision.id, 40))}${message === '' ? '' : ` ${text(truncate(message, 120))}`}`;
  const blocks = [block(`${heading}\n\n${facts.join(' · ')}`)];
  if (findings.length === 0) blocks.push(block('No findings.'));
  blocks.push(...findingBlocks(ctx, findings, revision));
  const estimates = estimatesMarkdown(revision);
  if (estimates !== null) blocks.push(block(estimates));
  const sql = sqlBlock(ctx, revision);
  if (sql !== null) blocks.push(sql);
  return blocks;
}

function driftBlocks(ctx: Context, drift: readonly Finding[]): Block[] {
  if (drift.length === 0) return [];
  const rows = drift.map(
    (f) =>
      `| ${SEVERITY_ICON[f.severity]} | ${ruleLink(f.ruleId).replace(/\|/g, '\\|')} | ${f.table === undefined ? '' : code(f.table, { inTable: true })} | ${f.column === undefined ? '' : code(f.column, { inTable: true })} | ${text(truncate(f.message, 400))} |`,
  );
  const table = [
    '#### Schema drift: models vs. migrations',
    '',
    '| | Rule | Table | Column | Problem |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const blocks = [block(table, drift.length)];
  const fixes = drift.filter((f) => f.suggestion !== undefined);
  if (fixes.length > 0 && ctx.detail.code) {
    const parts = fixes.map((f) => {
      const target =
        f.table === undefined ? '' : `${code(f.column === undefined ? f.table : `${f.table}.${f.column}`)}: `;
      const suggestion = f.suggestion;
      const lines = [`${target}${text(truncate(suggestion?.text ?? '', MESSAGE_LIMIT))}`];
      if (suggestion?.code !== undefined && suggestion.code.trim() !== '') {
        lines.push('', codeBlock(truncate(suggestion.code, CODE_LIMIT), 'python'));
      }
      return lines.join('\n');
    });
    blocks.push(
      block(
        `<details><summary>${htmlText(`Suggested fixes (${fixes.length})`)}</summary>\n\n${parts.join('\n\n')}\n\n</details>`,
      ),
    );
  }
  return blocks;
}

/** What the base already has, collapsed: context for the reviewer, not this change's problems. */
function baseBlock(ctx: Context, findings: readonly Finding[]): Block | null {
  if (findings.length === 0) return null;
  const rows = findings.map((f) => {
    const where =
      f.table === undefined
        ? ''
        : code(f.column === undefined ? f.table : `${f.table}.${f.column}`, { inTable: true });
    return `| ${ruleLink(f.ruleId).replace(/\|/g, '\\|')} | ${where} | ${text(truncate(firstLine(f.message), 300))} |`;
  });
  const table = ['| Rule | Where | Problem |', '| --- | --- | --- |', ...rows].join('\n');
  const summary = `${SEVERITY_ICON.notice} ${baseHeading(ctx.review, findings)}`;
  return block(`<details><summary>${htmlText(summary)}</summary>\n\n${table}\n\n</details>`, findings.length);
}

function graphBlock(ctx: Context): Block | null {
  if (!ctx.detail.graph) return null;
  const graph = revisionGraph(ctx.review.revisions);
  if (graph === null) return null;
  return block(`<details><summary>Revision graph</summary>\n\n${codeBlock(graph, 'mermaid')}\n\n</details>`);
}

function footer(ctx: Context): Block {
  const { review } = ctx;
  const env = review.environment;
  const parts = [
    `${review.tool.name} ${review.tool.version}`,
    `PostgreSQL ${env.postgres.split(' ')[0] ?? env.postgres}`,
    `Python ${env.python}`,
    `Alembic ${env.alembic}`,
    `SQLAlchemy ${env.sqlalchemy} (${env.driver})`,
  ].map(text);
  const timings = Object.entries(review.timings).map(([stage, ms]) => text(`${stage} ${duration(ms)}`));
  if (timings.length > 0) parts.push(timings.join(', '));
  if (review.runUrl !== undefined) parts.push(link('workflow run', review.runUrl));
  return block(`<sub>${parts.join(' · ')}</sub>`, 0, true);
}

function layout(ctx: Context): Block[] {
  const sections = sectionsOf(ctx.review);
  const blocks: Block[] = [header(ctx)];
  if (sections.newRevisions.length > 0)
    blocks.push(overview(ctx, sections.newRevisions, sections.byRevision));
  for (const revision of sections.newRevisions) {
    blocks.push(
      ...revisionBlocks(ctx, revision, sections.byRevision.get(revision.id) ?? [], sections.newRevisions),
    );
  }
  blocks.push(...driftBlocks(ctx, sections.drift));
  if (sections.other.length > 0) {
    blocks.push(block('#### Other findings'));
    blocks.push(...findingBlocks(ctx, sections.other));
  }
  const base = baseBlock(ctx, sections.base);
  if (base !== null) blocks.push(base);
  const graph = graphBlock(ctx);
  if (graph !== null) blocks.push(graph);
  blocks.push(footer(ctx));
  return blocks;
}

function join(blocks: readonly Block[]): string {
  return `${blocks.map((b) => b.markdown).join('\n\n')}\n`;
}

function pointer(options: MarkdownOptions, review: Review, hiddenFindings: number): Block {
  const target = options.fullReport ?? { label: 'job summary of the workflow run', url: review.runUrl };
  const rest =
    hiddenFindings > 0
      ? `${plural(hiddenFindings, 'more finding')} and the rest of the report are`
      : 'The rest of the report is';
  return block(
    `> ✂️ **This comment was cut to fit GitHub's size limit.** ${rest} in the ${link(text(target.label), target.url)}.`,
    0,
    true,
  );
}

/** Keeps the fixed blocks and as many of the others, in order, as fit with the pointer. */
function cut(
  blocks: readonly Block[],
  fits: (markdown: string) => boolean,
  options: MarkdownOptions,
  review: Review,
): string {
  const fixedHead = blocks.filter((b, i) => b.fixed && i === 0);
  const fixedTail = blocks.filter((b, i) => b.fixed && i > 0);
  const middle = blocks.filter((b) => !b.fixed);
  const total = middle.reduce((sum, b) => sum + b.findings, 0);
  const attempt = (k: number): string => {
    const kept = middle.slice(0, k);
    const hidden = total - kept.reduce((sum, b) => sum + b.findings, 0);
    return join([...fixedHead, ...kept, pointer(options, review, hidden), ...fixedTail]);
  };
  // The largest prefix that fits (lengths grow with k: binary search).
  let low = 0;
  let high = middle.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(attempt(mid))) low = mid;
    else high = mid - 1;
  }
  const result = attempt(low);
  return fits(result) ? result : truncate(result, 1000);
}

export function renderMarkdown(review: Review, options: MarkdownOptions = {}): string {
  const max = options.maxLength ?? Number.POSITIVE_INFINITY;
  const measure = options.measure ?? ((markdown: string) => markdown.length);
  const fits = (markdown: string): boolean => measure(markdown) <= max;
  let blocks: Block[] = [];
  for (const detail of LEVELS) {
    blocks = layout({ review, options, detail });
    const markdown = join(blocks);
    if (fits(markdown)) return markdown;
  }
  return cut(blocks, fits, options, review);
}
