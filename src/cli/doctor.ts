// `alembic-review doctor`: what a review would use, and what is missing —
// Node, the project's Python and its Alembic/SQLAlchemy/driver, Docker, and
// which database provider `--database auto` would pick.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Bridge, resolvePython } from '../alembic/bridge.ts';
import { describeAuto } from '../database/auto.ts';
import { errorMessage } from '../errors.ts';

export async function doctor(flags: Record<string, unknown>): Promise<string> {
  const projectDir = path.resolve(typeof flags.project === 'string' ? flags.project : '.');
  const explicitPython = typeof flags.python === 'string' ? flags.python : undefined;
  const lines: string[] = [];
  const ok = (label: string, value: string): void => {
    lines.push(`  ok       ${label.padEnd(18)} ${value}`);
  };
  const missing = (label: string, value: string): void => {
    lines.push(`  MISSING  ${label.padEnd(18)} ${value}`);
  };

  lines.push('alembic-review doctor', '');
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  (nodeMajor >= 24 ? ok : missing)(
    'node',
    `${process.version}${nodeMajor >= 24 ? '' : ' (Node 24 or newer is needed)'}`,
  );

  const configFile = path.join(projectDir, 'alembic.ini');
  (existsSync(configFile) ? ok : missing)(
    'alembic.ini',
    existsSync(configFile) ? configFile : `not in ${projectDir}`,
  );

  const python = resolvePython(projectDir, explicitPython);
  const bridge = new Bridge({ python, projectDir, passEnv: [], revisionTimeoutMs: 60_000 });
  try {
    const hello = await bridge.call('hello', { readable: [projectDir] });
    ok('python', `${hello.python} (${hello.executable})`);
    const sandbox = bridge.sandbox;
    (sandbox?.kind === 'none' ? missing : ok)(
      'sandbox',
      `the project's Python runs ${sandbox?.description ?? '?'}`,
    );
    for (const fallback of bridge.sandboxFallbacks) lines.push(`  -        ${fallback}`);
    ok('alembic', hello.alembic);
    ok('sqlalchemy', hello.sqlalchemy);
    const drivers = Object.entries(hello.drivers).filter(([, v]) => v !== null);
    (drivers.length > 0 ? ok : missing)(
      'postgres driver',
      drivers.length > 0
        ? drivers.map(([k, v]) => `${k} ${String(v)}`).join(', ')
        : 'install psycopg or psycopg2',
    );
  } catch (error) {
    missing('python', `${python}: ${errorMessage(error)}`);
  } finally {
    await bridge.close();
  }

  const auto = await describeAuto({
    postgresImage: typeof flags.postgresImage === 'string' ? flags.postgresImage : undefined,
  });
  for (const check of auto.checks) lines.push(`  -        ${check}`);
  lines.push('', `database auto → ${auto.kind}: ${auto.reason}`);
  return `${lines.join('\n')}\n`;
}
