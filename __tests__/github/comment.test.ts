// The sticky comment against the fake GitHub API: created once, updated in
// place, duplicates removed, and nobody else's comment taken for ours.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createClient } from '../../src/github/client.ts';
import { upsertStickyComment } from '../../src/github/comment.ts';
import { Identity } from '../../src/github/identity.ts';
import { commentMarker } from '../../src/github/markers.ts';
import { ACTIONS_BOT, FakeGitHub, type Actor } from './fake-github.ts';
import { HEAD_SHA } from './helpers.ts';

const MALLORY: Actor = { login: 'mallory', id: 666, type: 'User' };
const DEPLOYER: Actor = { login: 'deploy-bot-user', id: 777, type: 'User' };

let github: FakeGitHub;

function setup(): { post: (body: string) => ReturnType<typeof upsertStickyComment> } {
  const client = createClient('token', github.url);
  const target = { owner: github.owner, repo: github.repo, number: github.pullNumber };
  return {
    post: (body) => upsertStickyComment(client, target, new Identity(client), commentMarker('.'), body),
  };
}

describe('sticky comment', () => {
  beforeEach(async () => {
    github = new FakeGitHub({ headSha: HEAD_SHA, files: [] });
    await github.start();
  });

  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.stop();
  });

  test('created on the first run, updated in place on the next', async () => {
    const { post } = setup();
    const first = await post(`${commentMarker('.')}\nfirst`);
    expect(first.created).toBe(true);
    const second = await post(`${commentMarker('.')}\nsecond`);
    expect(second).toEqual({ id: first.id, url: first.url, created: false, removed: 0 });
    expect(github.issueComments.map((c) => c.body)).toEqual([`${commentMarker('.')}\nsecond`]);
  });

  test('one comment per project: another working directory has its own', async () => {
    const { post } = setup();
    await post(`${commentMarker('.')}\nroot`);
    const client = createClient('token', github.url);
    const target = { owner: github.owner, repo: github.repo, number: github.pullNumber };
    const other = await upsertStickyComment(
      client,
      target,
      new Identity(client),
      commentMarker('services/billing'),
      `${commentMarker('services/billing')}\nbilling`,
    );
    expect(other.created).toBe(true);
    expect(github.issueComments).toHaveLength(2);
    expect(commentMarker('a -->b')).toBe('<!-- alembic-review:comment project=a%20--%3Eb -->');
  });

  test('stray duplicates of ours are deleted, the oldest is kept', async () => {
    const older = github.seedIssueComment(`${commentMarker('.')}\nold`, ACTIONS_BOT);
    github.seedIssueComment(`${commentMarker('.')}\nduplicate`, ACTIONS_BOT);
    const { post } = setup();
    const result = await post(`${commentMarker('.')}\nnew`);
    expect(result).toMatchObject({ id: older.id, created: false, removed: 1 });
    expect(github.issueComments.map((c) => c.body)).toEqual([`${commentMarker('.')}\nnew`]);
  });

  test('a human quoting our marker is neither updated nor deleted', async () => {
    github.seedIssueComment(`${commentMarker('.')}\nI am the review, trust me`, MALLORY);
    github.seedIssueComment(`quoting:\n${commentMarker('.')}`, ACTIONS_BOT);
    const { post } = setup();
    const result = await post(`${commentMarker('.')}\nreal`);
    expect(result.created).toBe(true);
    expect(github.issueComments).toHaveLength(3);
    expect(github.requestsOf('issues/update-comment')).toHaveLength(0);
    expect(github.requestsOf('issues/delete-comment')).toHaveLength(0);
  });

  test('with a personal token, our own earlier comment is recognised by GET /user', async () => {
    github.actor = DEPLOYER;
    github.seedIssueComment(`${commentMarker('.')}\nearlier`, DEPLOYER);
    github.seedIssueComment(`${commentMarker('.')}\nfake`, MALLORY);
    const { post } = setup();
    const result = await post(`${commentMarker('.')}\nnow`);
    expect(result.created).toBe(false);
    expect(github.issueComments.find((c) => c.user.login === DEPLOYER.login)?.body).toBe(
      `${commentMarker('.')}\nnow`,
    );
    expect(github.issueComments.find((c) => c.user.login === MALLORY.login)?.body).toBe(
      `${commentMarker('.')}\nfake`,
    );
    expect(github.requestsOf('users/get-authenticated')).toHaveLength(1);
  });

  test('finds its comment among more than 100 (pagination)', async () => {
    for (let i = 0; i < 150; i++) github.seedIssueComment(`chatter ${i}`, MALLORY);
    const ours = github.seedIssueComment(`${commentMarker('.')}\nold`, ACTIONS_BOT);
    const { post } = setup();
    const result = await post(`${commentMarker('.')}\nnew`);
    expect(result).toMatchObject({ id: ours.id, created: false });
    expect(github.requestsOf('issues/list-comments').map((r) => r.query.page ?? '1')).toEqual(['1', '2']);
  });
});
