// `doctor` says what a review would use and what is missing.
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { runCli } from '../helpers/cli.ts';

let project: AlembicProject | undefined;
afterAll(() => project?.remove());

describe('doctor', () => {
  it('reports Node, the project Python and its Alembic stack, Docker and the auto choice', async () => {
    project = await makeProject({ revisions: [] });
    const result = await runCli(['doctor', '--project', project.dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok\s+node\s+v24\./);
    expect(result.stdout).toMatch(/ok\s+alembic\.ini/);
    expect(result.stdout).toMatch(/ok\s+alembic\s+1\.20\.1/);
    expect(result.stdout).toMatch(/ok\s+sqlalchemy\s+2\.1\.9/);
    expect(result.stdout).toMatch(/postgres driver\s+psycopg 3\.3\.9/);
    expect(result.stdout).toMatch(/Docker: /);
    expect(result.stdout).toMatch(/database auto → (testcontainers|embedded|url): auto: /);
  });

  it('says what is missing', async () => {
    const result = await runCli(['doctor', '--project', '/tmp', '--python', '/usr/bin/python3'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/MISSING\s+alembic\.ini/);
    expect(result.stdout).toMatch(/MISSING\s+python\s+\/usr\/bin\/python3: .*alembic/);
    expect(result.stdout).toMatch(/database auto → embedded/);
  });
});
