// A whole review of a test project through the CLI, on temporary databases
// of a role of its own (so that leftovers are found), with the report read
// back from the file it was written to.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AlembicProject } from './alembic-project.ts';
import { createTestRole, runCli } from './cli.ts';

export interface ReviewRun {
  code: number;
  stderr: string;
  /** The report as written (empty when the review stopped with exit code 2). */
  body: string;
  /** Databases of the role left after the review (there should be none). */
  leftovers: string[];
}

export async function reviewProject(
  project: AlembicProject,
  options: { format?: 'json' | 'markdown' | 'text'; args?: string[]; env?: Record<string, string> } = {},
): Promise<ReviewRun> {
  const format = options.format ?? 'json';
  const role = await createTestRole();
  try {
    const output = path.join(project.dir, `report.${format}`);
    const result = await runCli(
      [
        'review',
        '--project',
        project.dir,
        '--base',
        'main',
        '--database-url',
        role.url,
        '--format',
        format,
        '--output',
        output,
        ...(options.args ?? []),
      ],
      options.env === undefined ? {} : { env: options.env },
    );
    return {
      code: result.code,
      stderr: result.stderr,
      body: result.code === 2 ? '' : readFileSync(output, 'utf8'),
      leftovers: await role.databases(),
    };
  } finally {
    await role.drop();
  }
}
