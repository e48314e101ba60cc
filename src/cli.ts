// CLI entry point (dist/cli.js): run the command, exit with its code.
import nodeModule from 'node:module';
import path from 'node:path';
import { defaultCacheDir } from './cache-dir.ts';
import { handOverToNewerNode } from './cli/node-version.ts';

const handedOver = await handOverToNewerNode(process.argv.slice(2));
if (handedOver !== null) process.exit(handedOver);

// V8's code cache (Node 22.1+): the bundle's two megabytes compile once, not on
// every run. In the user's own cache directory, not the shared temp dir, where
// another user (the project's code runs as one) could plant compiled code.
(nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(
  path.join(defaultCacheDir(), 'node-compile-cache'),
);

const { cancellation, installSignalHandlers } = await import('./teardown.ts');
// Before the heavy imports: a signal during them still ends with 128 + its number.
installSignalHandlers();
// The commands that run the project's Python: the sandboxes are probed while the rest loads.
if (['review', 'fix'].includes(process.argv[2] ?? '')) {
  const { startProbingSandboxes } = await import('./alembic/sandbox.ts');
  startProbingSandboxes();
}
const { runCli } = await import('./cli/program.ts');
const code = await runCli(process.argv.slice(2));
// Exit explicitly: a driver socket or timer left open must not keep the CLI alive.
process.exit(cancellation()?.code ?? code);
