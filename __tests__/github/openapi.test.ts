// The fake API's request checker is a real check: it rejects what GitHub's
// OpenAPI description rejects.
import { describe, expect, test } from 'vitest';
import { checkRequest, checkResponse } from './openapi.ts';

const api = (path: string): URL => new URL(`http://127.0.0.1${path}`);

describe('OpenAPI request checks', () => {
  test('a well-formed request passes', () => {
    const result = checkRequest('POST', api('/repos/o/r/pulls/7/reviews'), {
      commit_id: 'c'.repeat(40),
      event: 'COMMENT',
      body: 'x',
      comments: [{ path: 'a.py', line: 3, side: 'RIGHT', body: 'y' }],
    });
    expect(result).toEqual({
      matched: {
        operationId: 'pulls/create-review',
        template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
        params: { owner: 'o', repo: 'r', pull_number: '7' },
      },
      problems: [],
    });
  });

  test.each([
    ['an unknown endpoint', 'GET', '/repos/o/r/pulls/7/requested_reviewers', undefined],
    ['a bad path parameter', 'GET', '/repos/o/r/pulls/seven/files', undefined],
    ['a bad query parameter', 'GET', '/repos/o/r/pulls/7/files?per_page=lots', undefined],
    ['an unknown query parameter', 'GET', '/repos/o/r/issues/7/comments?per_page=100&foo=1', undefined],
    ['a missing body', 'POST', '/repos/o/r/issues/7/comments', undefined],
    ['a body of the wrong shape', 'POST', '/repos/o/r/issues/7/comments', { body: 42 }],
    ['a bad review event', 'POST', '/repos/o/r/pulls/7/reviews', { event: 'LGTM' }],
    [
      'a review comment without a body',
      'POST',
      '/repos/o/r/pulls/7/reviews',
      { event: 'COMMENT', body: 'x', comments: [{ path: 'a.py', line: 1 }] },
    ],
  ])('%s is rejected', (_what, method, path, body) => {
    expect(checkRequest(method, api(path), body).problems.length).toBeGreaterThan(0);
  });

  test('responses: undocumented statuses and wrong shapes are caught', () => {
    expect(checkResponse('issues/delete-comment', 204, undefined)).toEqual([]);
    expect(checkResponse('issues/delete-comment', 200, {})).toEqual([
      'issues/delete-comment: status 200 is not documented',
    ]);
    expect(checkResponse('issues/create-comment', 201, { id: 'x' }).length).toBeGreaterThan(0);
  });
});
