// Side by side with Squawk (squawk-cli from npm) on one SQL corpus, for the
// rules both tools have. Each case of __tests__/fixtures/lint-corpus.sql is
// one Squawk file (--assume-in-transaction: Alembic wraps every migration in
// a transaction) and one revision that really runs on the blog's base with
// rows; the two sets of findings must agree except for the differences listed
// below, each with its reason (docs/lint-vs-squawk.md explains them).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/engine.ts';
import { ROOT } from '../helpers/alembic-project.ts';
import { ScratchDatabase, type StatementSpec } from './helpers/replay.ts';

const SQUAWK = path.join(ROOT, 'node_modules/.bin/squawk');
const CORPUS = path.join(ROOT, '__tests__/fixtures/lint-corpus.sql');

/** Our rule → the Squawk rule that reports the same problem (`only` narrows a Squawk rule that covers more). */
const MAPPING: { ours: string; squawk: string; only?: RegExp }[] = [
  { ours: 'not-null-column-without-default', squawk: 'adding-required-field' },
  { ours: 'set-not-null-without-backfill', squawk: 'adding-not-nullable-field' },
  { ours: 'rename-column', squawk: 'renaming-column' },
  { ours: 'rename-table', squawk: 'renaming-table' },
  { ours: 'drop-column', squawk: 'ban-drop-column' },
  { ours: 'drop-table', squawk: 'ban-drop-table' },
  { ours: 'change-column-type', squawk: 'changing-column-type' },
  { ours: 'create-index-non-concurrently', squawk: 'require-concurrent-index-creation' },
  { ours: 'add-foreign-key-validates', squawk: 'adding-foreign-key-constraint' },
  { ours: 'add-unique-constraint', squawk: 'disallowed-unique-constraint' },
  // Squawk's rule also covers FOREIGN KEY and UNIQUE, which the two rules above compare.
  { ours: 'add-check-constraint-validates', squawk: 'constraint-missing-not-valid', only: /\bCHECK\b/ },
  { ours: 'volatile-default-rewrite', squawk: 'adding-field-with-default' },
  { ours: 'concurrently-in-transaction', squawk: 'ban-concurrent-index-creation-in-transaction' },
  { ours: 'missing-lock-timeout', squawk: 'require-lock-timeout' },
  { ours: 'unparsed-statement', squawk: 'syntax-error' },
];

/**
 * Where the tools disagree, as `case:line rule: who fires`, with the reason.
 * Everything else in the corpus must agree.
 */
const DIFFERENCES: Record<string, string> = {
  // Facts from the replay.
  'change-column-type-varchar-widening:1 change-column-type':
    'Squawk only: Postgres widens varchar in place (the replay sees the same relfilenode), no rewrite',
  'change-column-type-varchar-to-text:1 change-column-type':
    'Squawk only: varchar to text is binary-coercible, no rewrite (the replay sees the same relfilenode)',
  'add-serial-column:2 volatile-default-rewrite':
    "alembic-review only: a serial's nextval() default is volatile; the replay sees posts rewritten",
  // Tables that did not exist at the base hold no rows and take no traffic.
  'add-not-null-column-to-new-table:2 not-null-column-without-default':
    'Squawk only: tags is created by the same migration, it has no rows to fail on',
  'add-not-null-column-to-new-table:2 missing-lock-timeout':
    'Squawk only: nobody else can hold a lock on a table created by the same migration',
  'drop-table-created-in-migration:2 drop-table':
    'Squawk only: scratch is created by the same migration, no data is lost',
  'drop-table-created-in-migration:2 missing-lock-timeout':
    'Squawk only: scratch is created by the same migration',
  'create-index-on-new-table:2 missing-lock-timeout':
    'Squawk only: comments is created by the same migration',
  // What the rules are about.
  'three-step-not-null:4 set-not-null-without-backfill':
    'Squawk only: Squawk warns on every SET NOT NULL (the scan under ACCESS EXCLUSIVE); alembic-review only when no backfill precedes it, the case that fails',
  'drop-and-add-column:2 drop-column':
    'Squawk only: alembic-review reports the pair once, as drop-and-add-column (an error with the rename fix)',
  'create-index:1 missing-lock-timeout':
    'Squawk only: missing-lock-timeout is about ACCESS EXCLUSIVE locks; CREATE INDEX takes SHARE (create-index-non-concurrently covers it)',
  'create-index-concurrently-in-transaction:1 missing-lock-timeout':
    'Squawk only: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, not ACCESS EXCLUSIVE',
  'create-index-concurrently-in-autocommit-block:2 missing-lock-timeout':
    'Squawk only: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, not ACCESS EXCLUSIVE',
  'add-unique-constraint-using-index:2 missing-lock-timeout':
    'Squawk only: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, not ACCESS EXCLUSIVE',
  'add-foreign-key:1 missing-lock-timeout':
    'Squawk only: ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE (add-foreign-key-validates covers it), not ACCESS EXCLUSIVE',
  'add-foreign-key-on-new-table:2 missing-lock-timeout':
    'Squawk only: SHARE ROW EXCLUSIVE on posts, not ACCESS EXCLUSIVE',
  'create-index-concurrently-in-transaction:1 concurrently-in-transaction':
    'alembic-review only: Squawk lets a migration whose only statement is the CONCURRENTLY one pass; Alembic still wraps it in a transaction and the replay fails with SQLSTATE 25001',
  // Parsers.
  'lock-table:1 unparsed-statement':
    'alembic-review only: sql-parser-cst cannot read LOCK TABLE (the replay still sees its lock)',
};

interface CorpusCase {
  name: string;
  /** The case's lines, as its Squawk file holds them. */
  lines: string[];
}

function readCorpus(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const line of readFileSync(CORPUS, 'utf8').split('\n')) {
    const header = /^-- case: (\S+)$/.exec(line);
    if (header?.[1] !== undefined) cases.push({ name: header[1], lines: [] });
    else if (cases.length > 0 && !line.startsWith('--')) cases.at(-1)?.lines.push(line);
  }
  return cases;
}

/** The case as Alembic would run it online: COMMIT ... BEGIN is autocommit_block(), not SQL it sends. */
function revisionOf(c: CorpusCase): StatementSpec[] {
  const statements: StatementSpec[] = [];
  let autocommit = false;
  c.lines.forEach((text, index) => {
    const sql = text.trim().replace(/;$/, '');
    if (sql === '') return;
    if (/^COMMIT$/i.test(sql)) autocommit = true;
    else if (/^BEGIN$/i.test(sql)) autocommit = false;
    else statements.push({ sql, line: index + 1, ...(autocommit ? { autocommit: true as const } : {}) });
  });
  return statements;
}

type Firing = `${string}:${number} ${string}`;

describe('lint rules side by side with Squawk', () => {
  const cases = readCorpus();
  let work: string;
  let database: ScratchDatabase;
  let squawkVersion: string;
  const ours = new Set<Firing>();
  const theirs = new Set<Firing>();

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'ar-squawk-'));
    database = await ScratchDatabase.create('lint_squawk');
    const files = cases.map((c, index) => {
      const file = path.join(work, `${String(index).padStart(2, '0')}-${c.name}.sql`);
      writeFileSync(file, `${c.lines.join('\n')}\n`);
      return file;
    });
    squawkVersion = (await execa(SQUAWK, ['--version'])).stdout.trim();
    const result = await execa(SQUAWK, ['--reporter', 'json', '--assume-in-transaction', ...files], {
      reject: false,
    });
    const violations = JSON.parse(result.stdout) as { file: string; line: number; rule_name: string }[];
    for (const v of violations) {
      const c = cases[Number(path.basename(v.file).slice(0, 2))];
      const mapping = MAPPING.find((m) => m.squawk === v.rule_name);
      if (c === undefined || mapping === undefined) continue;
      if (mapping.only !== undefined && !mapping.only.test(c.lines[v.line] ?? '')) continue;
      theirs.add(`${c.name}:${v.line + 1} ${mapping.ours}`);
    }
    for (const c of cases) {
      const input = await database.replay({
        lockTimeout: '0',
        revisions: [{ id: 'corpus', statements: revisionOf(c) }],
      });
      for (const f of lint(input)) {
        if (MAPPING.some((m) => m.ours === f.ruleId)) ours.add(`${c.name}:${f.line ?? 0} ${f.ruleId}`);
      }
    }
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await database.drop();
  });

  it('runs Squawk offline from npm', () => {
    expect(squawkVersion).toMatch(/^squawk \d+\.\d+\.\d+$/);
  });

  it('agrees with Squawk on the corpus except for the listed differences', () => {
    const differences: Record<string, string> = {};
    for (const firing of ours) if (!theirs.has(firing)) differences[firing] = 'alembic-review only';
    for (const firing of theirs) if (!ours.has(firing)) differences[firing] = 'Squawk only';
    expect(Object.keys(differences).sort()).toEqual(Object.keys(DIFFERENCES).sort());
    for (const [firing, reason] of Object.entries(DIFFERENCES)) {
      expect(reason.startsWith(differences[firing] ?? '?'), `${firing}: ${reason}`).toBe(true);
    }
  });

  it('agrees on most of what either tool reports', () => {
    const agreed = [...ours].filter((f) => theirs.has(f));
    // Every mapped rule fires somewhere in the corpus with both tools.
    for (const m of MAPPING)
      expect(
        agreed.some((f) => f.endsWith(` ${m.ours}`)),
        m.ours,
      ).toBe(true);
    expect(agreed.length).toBeGreaterThan(Object.keys(DIFFERENCES).length);
  });
});
