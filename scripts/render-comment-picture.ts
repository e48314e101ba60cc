// Makes docs/review-comment.png: the review comment for examples/blog as a
// pull request shows it. Reviews the blog example (the whole pipeline, on the
// PostgreSQL at DATABASE_URL), renders the comment's markdown to HTML with a
// GFM renderer and GitHub's markdown CSS, and screenshots it with headless
// Chromium (Debian: apt-get install chromium fonts-noto-color-emoji).
//
//   node scripts/render-comment-picture.ts [--report report.json] [--out docs/review-comment.png]
//
// --report renders an existing JSON report instead of running the review.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import type { Review } from '../src/model.ts';
import { resolveOptions } from '../src/options.ts';
import { renderMarkdown } from '../src/render/markdown.ts';
import { review } from '../src/review.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    report: { type: 'string' },
    out: { type: 'string', default: path.join(ROOT, 'docs/review-comment.png') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? 'chromium' },
  },
});

async function blogReview(temp: string): Promise<Review> {
  const project = path.join(temp, 'blog');
  execFileSync(path.join(ROOT, 'examples/blog/make-repo.sh'), [project, '--venv', path.join(ROOT, '.venv')], {
    stdio: 'ignore',
  });
  const options = resolveOptions({
    projectDir: project,
    base: 'main',
    database: 'url',
    databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  });
  const result = await review(options, {
    log: (line) => process.stderr.write(`${line}\n`),
    pythonOutput: () => undefined,
  });
  return { ...result, runUrl: 'https://github.com/blog-team/blog/actions/runs/9876543210' };
}

function page(markdown: string): string {
  const css = readFileSync(
    path.join(ROOT, 'node_modules/github-markdown-css/github-markdown-light.css'),
    'utf8',
  );
  const body = micromark(markdown, {
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
    allowDangerousHtml: true,
  });
  // The frame of a GitHub comment: avatar, author line, bordered box.
  return `<!doctype html>
<html><head><meta charset="utf-8"><style>
${css}
body { margin: 0; background: #fff; font-family: -apple-system, "Segoe UI", "Liberation Sans", "DejaVu Sans", sans-serif; }
.timeline { display: flex; gap: 16px; padding: 24px; width: 880px; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #2da44e; color: #fff; font: bold 20px/40px sans-serif; text-align: center; flex: none; }
.comment { border: 1px solid #d0d7de; border-radius: 6px; flex: 1; min-width: 0; }
.comment-header { background: #f6f8fa; border-bottom: 1px solid #d0d7de; border-radius: 6px 6px 0 0; padding: 8px 16px; color: #57606a; font-size: 14px; }
.comment-header b { color: #1f2328; }
.bot { border: 1px solid #d0d7de; border-radius: 2em; padding: 0 7px; font-size: 12px; margin-left: 4px; }
.markdown-body { padding: 16px; font-size: 14px; }
.markdown-body table { font-size: 13px; }
</style></head>
<body><div class="timeline"><div class="avatar">▶</div><div class="comment">
<div class="comment-header"><b>github-actions</b><span class="bot">bot</span> commented 2 minutes ago · edited</div>
<article class="markdown-body">${body}</article>
</div></div>
<script>document.body.dataset.height = String(document.documentElement.scrollHeight);</script>
</body></html>`;
}

const temp = mkdtempSync(path.join(tmpdir(), 'alembic-review-picture-'));
try {
  const result =
    values.report === undefined
      ? await blogReview(temp)
      : (JSON.parse(readFileSync(values.report, 'utf8')) as Review);
  const fileUrl = (file: string, line?: number): string =>
    `https://github.com/blog-team/blog/blob/main/${file}${line === undefined ? '' : `#L${line}`}`;
  const markdown = renderMarkdown(result, { fileUrl, preamble: '<!-- alembic-review:comment project=. -->' });
  const html = path.join(temp, 'comment.html');
  writeFileSync(html, page(markdown));
  const chromium = (args: string[]): string =>
    execFileSync(
      values.chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${path.join(temp, 'profile')}`,
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        ...args,
        `file://${html}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  // The page reports its own height (a script writes it into the DOM), then the shot is cut to it.
  const dom = chromium(['--window-size=930,800', '--virtual-time-budget=2000', '--dump-dom']);
  const height = Number(/data-height="(\d+)"/.exec(dom)?.[1]);
  if (!Number.isInteger(height) || height <= 0) throw new Error('could not measure the page');
  chromium([`--window-size=930,${height}`, `--screenshot=${values.out}`]);
  console.log(`wrote ${values.out} (930×${height})`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
