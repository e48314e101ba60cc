// Reading the workflow's own description of itself from the environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { blobUrl, readContext } from '../../src/github/context.ts';

let temp: string;

async function event(payload: unknown): Promise<string> {
  const file = path.join(temp, `event-${Math.random()}.json`);
  await writeFile(file, JSON.stringify(payload));
  return file;
}

describe('GitHub context', () => {
  beforeAll(async () => {
    temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-context-'));
  });
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  test('a pull_request event', async () => {
    const context = readContext({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: await event({
        number: 12,
        pull_request: {
          number: 12,
          head: { sha: 'a'.repeat(40), repo: { full_name: 'fork/blog' } },
          base: { sha: 'b'.repeat(40), ref: 'main' },
        },
      }),
      GITHUB_REPOSITORY: 'blog-team/blog',
      GITHUB_RUN_ID: '123',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      GITHUB_SERVER_URL: 'https://ghe.example.com',
      GITHUB_WORKSPACE: '/work/space',
    });
    expect(context).toEqual({
      eventName: 'pull_request',
      event: { ref: null, before: null, mergeGroupBaseSha: null, defaultBranch: null },
      repository: { owner: 'blog-team', repo: 'blog' },
      pullRequest: {
        number: 12,
        headSha: 'a'.repeat(40),
        baseSha: 'b'.repeat(40),
        baseRef: 'main',
        headRepository: 'fork/blog',
      },
      workflowRun: null,
      apiUrl: 'https://ghe.example.com/api/v3',
      serverUrl: 'https://ghe.example.com',
      runUrl: 'https://ghe.example.com/blog-team/blog/actions/runs/123/attempts/2',
      workspace: '/work/space',
    });
    expect(blobUrl(context, 'a'.repeat(40), 'migrations/versions/x y.py', 3)).toBe(
      `https://ghe.example.com/blog-team/blog/blob/${'a'.repeat(40)}/migrations/versions/x%20y.py#L3`,
    );
  });

  test('a workflow_run event', async () => {
    const context = readContext({
      GITHUB_EVENT_NAME: 'workflow_run',
      GITHUB_EVENT_PATH: await event({
        workflow_run: {
          id: 5,
          event: 'pull_request',
          head_sha: 'c'.repeat(40),
          head_repository: { full_name: 'fork/blog' },
        },
      }),
      GITHUB_REPOSITORY: 'blog-team/blog',
    });
    expect(context.pullRequest).toBeNull();
    expect(context.workflowRun).toEqual({
      id: 5,
      event: 'pull_request',
      headSha: 'c'.repeat(40),
      headRepository: 'fork/blog',
    });
    expect(context.apiUrl).toBe('https://api.github.com');
    expect(context.runUrl).toBeUndefined();
  });

  test('outside GitHub, or with a broken payload, a clear error', async () => {
    expect(() => readContext({})).toThrow(/GITHUB_REPOSITORY is not set/);
    const broken = await event({ pull_request: { number: 1 } });
    expect(() => readContext({ GITHUB_EVENT_PATH: broken, GITHUB_REPOSITORY: 'a/b' })).toThrow(
      /no number, head\.sha or base\.sha/,
    );
    const notJson = path.join(temp, 'not.json');
    await writeFile(notJson, '{');
    expect(() => readContext({ GITHUB_EVENT_PATH: notJson, GITHUB_REPOSITORY: 'a/b' })).toThrow(
      /not a readable JSON event/,
    );
    expect(readContext({ GITHUB_REPOSITORY: 'a/b', GITHUB_EVENT_NAME: 'push' }).pullRequest).toBeNull();
  });
});
