// The CLI needs Node 22 or newer (testcontainers does). Run from a clone with
// an older `node`, it hands itself over to the Node 24 that the project
// installs as a dev dependency, forwarding signals and the exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MINIMUM_MAJOR = 22;

/** Resolves with an exit code when it re-ran the CLI under a newer Node, or null to go on here. */
export async function handOverToNewerNode(argv: readonly string[]): Promise<number | null> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MINIMUM_MAJOR || process.env.ALEMBIC_REVIEW_NODE_HANDOVER === '1') return null;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, '..', 'node_modules', '.bin', 'node'),
    path.join(here, '..', '..', 'node_modules', '.bin', 'node'),
  ];
  const newer = candidates.find((c) => existsSync(c));
  const script = process.argv[1];
  if (newer === undefined || script === undefined) {
    process.stderr.write(
      `alembic-review: Node ${process.versions.node} is too old: Node ${MINIMUM_MAJOR} or newer is needed (run \`npm install\` in the clone to get Node 24 as node_modules/.bin/node).\n`,
    );
    return 2;
  }
  const child = spawn(newer, [script, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, ALEMBIC_REVIEW_NODE_HANDOVER: '1' },
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      child.kill(signal);
    });
  }
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal === 'SIGTERM' ? 143 : signal === 'SIGINT' ? 130 : 2));
    });
  });
}
