// A stand-in for the GitHub REST API on a local node:http server: enough of
// issues, pulls and reviews for the publisher, in memory. Every request is
// checked against GitHub's OpenAPI description (openapi.ts), and so is every
// successful response the fake sends; anything off is recorded in
// `violations`, which the tests assert to be empty. Like GitHub, it refuses
// review comments on lines outside the diff (422), and with `readOnly` it
// answers every write with 403 "Resource not accessible by integration".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRequest, checkResponse } from './openapi.ts';

export interface Actor {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

export const ACTIONS_BOT: Actor = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export interface ChangedFile {
  filename: string;
  status: 'added' | 'modified' | 'removed' | 'renamed';
  /** Hunk-only unified diff, as the API returns it; absent for binary or huge files. */
  patch?: string;
}

export interface IssueComment {
  id: number;
  body: string;
  user: Actor;
  created_at: string;
  updated_at: string;
}

export interface ReviewComment {
  id: number;
  reviewId: number;
  path: string;
  line: number;
  /** First line of a multi-line comment. */
  startLine?: number;
  /** The comment this one answers (a reply in the same thread). */
  inReplyTo?: number;
  side: string;
  commitId: string;
  body: string;
  user: Actor;
}

export interface Review {
  id: number;
  event: string;
  body: string;
  commitId: string;
  user: Actor;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  operationId: string | null;
  body: unknown;
  authorization: string | undefined;
  status: number;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  pullNumber?: number;
  headSha: string;
  baseSha?: string;
  files: ChangedFile[];
  /** Who the token writes as. */
  actor?: Actor;
  /** Every write is answered with 403, as for a fork's GITHUB_TOKEN. */
  readOnly?: boolean;
  /** The token may not resolve review threads (GraphQL FORBIDDEN); replies still work. */
  cannotResolveThreads?: boolean;
}

const API_DOCS = 'https://docs.github.com/rest';

/** Responses built partially on purpose (the publisher reads a few fields of big objects). */
const PARTIAL_RESPONSES = new Set(['pulls/get', 'users/get-authenticated']);

/** Lines of the new file a hunk-only patch shows (added and context lines): where GitHub accepts a comment. */
function rightSideLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let next = 0;
  for (const line of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk !== null) {
      next = Number(hunk[1]);
      continue;
    }
    if (line.startsWith('-') || line.startsWith('\\')) continue;
    if (line.startsWith('+') || line.startsWith(' ')) lines.add(next++);
  }
  return lines;
}

function userObject(actor: Actor, base: string): Record<string, unknown> {
  const url = `${base}/users/${encodeURIComponent(actor.login)}`;
  return {
    login: actor.login,
    id: actor.id,
    node_id: `U_${actor.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${actor.id}`,
    gravatar_id: '',
    url,
    html_url:
      actor.type === 'Bot'
        ? `https://github.com/apps/${actor.login.replace(/\[bot\]$/, '')}`
        : `https://github.com/${actor.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: actor.type,
    site_admin: false,
  };
}

export class FakeGitHub {
  readonly owner: string;
  readonly repo: string;
  readonly pullNumber: number;
  headSha: string;
  readonly baseSha: string;
  files: ChangedFile[];
  actor: Actor;
  readOnly: boolean;
  cannotResolveThreads: boolean;
  /** Ids of the first comments of resolved review threads. */
  readonly resolvedThreads = new Set<number>();
  readonly issueComments: IssueComment[] = [];
  readonly reviewComments: ReviewComment[] = [];
  readonly reviews: Review[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  #server: Server | undefined;
  #url = '';
  #nextId = 1000;
  #clock = Date.parse('2024-03-12T12:00:00Z');

  constructor(options: FakeGitHubOptions) {
    this.owner = options.owner ?? 'blog-team';
    this.repo = options.repo ?? 'blog';
    this.pullNumber = options.pullNumber ?? 7;
    this.headSha = options.headSha;
    this.baseSha = options.baseSha ?? '0'.repeat(40);
    this.files = options.files;
    this.actor = options.actor ?? ACTIONS_BOT;
    this.readOnly = options.readOnly ?? false;
    this.cannotResolveThreads = options.cannotResolveThreads ?? false;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${address.port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Adds an issue comment as someone else (or as the bot, for leftovers of earlier runs). */
  seedIssueComment(body: string, user: Actor): IssueComment {
    const comment = { id: this.#nextId++, body, user, created_at: this.#now(), updated_at: this.#now() };
    this.issueComments.push(comment);
    return comment;
  }

  seedReviewComment(path: string, line: number, body: string, user: Actor): ReviewComment {
    const comment = {
      id: this.#nextId++,
      reviewId: 0,
      path,
      line,
      side: 'RIGHT',
      commitId: this.headSha,
      body,
      user,
    };
    this.reviewComments.push(comment);
    return comment;
  }

  requestsOf(operationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  #now(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  #prefix(): string {
    return `/repos/${this.owner}/${this.repo}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.#url);
    const method = req.method ?? 'GET';
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        this.violations.push(`${method} ${url.pathname}: the body is not JSON`);
      }
    }
    if (url.pathname === '/graphql') {
      this.#graphql(method, body, req.headers.authorization, res);
      return;
    }
    const { matched, problems } = checkRequest(method, url, body);
    this.violations.push(...problems);
    if (req.headers.authorization === undefined)
      this.violations.push(`${method} ${url.pathname}: no Authorization header`);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operationId: matched?.operationId ?? null,
      body,
      authorization: req.headers.authorization,
      status: 0,
    };
    this.requests.push(record);
    const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (matched !== null && status >= 200 && status < 300 && !PARTIAL_RESPONSES.has(matched.operationId)) {
        this.violations.push(...checkResponse(matched.operationId, status, payload));
      }
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (matched === null) {
      reply(404, { message: 'Not Found', documentation_url: API_DOCS });
      return;
    }
    if (problems.length > 0) {
      reply(422, { message: 'Validation Failed', errors: problems, documentation_url: API_DOCS });
      return;
    }
    const params = matched.params;
    if (params.owner !== undefined && (params.owner !== this.owner || params.repo !== this.repo)) {
      reply(404, { message: 'Not Found', documentation_url: API_DOCS });
      return;
    }
    if (this.readOnly && method !== 'GET') {
      reply(403, {
        message: 'Resource not accessible by integration',
        documentation_url: API_DOCS,
        status: '403',
      });
      return;
    }
    this.#route(matched.operationId, params, url, body, reply);
  }

  #page<T>(items: T[], url: URL): { items: T[]; link: Record<string, string> } {
    const perPage = Number(url.searchParams.get('per_page') ?? '30');
    const page = Number(url.searchParams.get('page') ?? '1');
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const pageUrl = (n: number): string => {
      const next = new URL(url);
      next.searchParams.set('page', String(n));
      return next.toString();
    };
    const links: string[] = [];
    if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
    return {
      items: items.slice((page - 1) * perPage, page * perPage),
      link: links.length === 0 ? {} : { link: links.join(', ') },
    };
  }

  #issueCommentObject(comment: IssueComment): Record<string, unknown> {
    const api = `${this.#url}${this.#prefix()}`;
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${api}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${this.pullNumber}#issuecomment-${comment.id}`,
      body: comment.body,
      user: userObject(comment.user, this.#url),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      issue_url: `${api}/issues/${this.pullNumber}`,
      author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    };
  }

  #reviewCommentObject(comment: ReviewComment): Record<string, unknown> {
    const api = `${this.#url}${this.#prefix()}`;
    const html = `https://github.com/${this.owner}/${this.repo}/pull/${this.pullNumber}#discussion_r${comment.id}`;
    return {
      url: `${api}/pulls/comments/${comment.id}`,
      id: comment.id,
      node_id: `PRRC_${comment.id}`,
      pull_request_review_id: comment.reviewId,
      diff_hunk: '@@ -0,0 +1 @@',
      path: comment.path,
      line: comment.line,
      side: comment.side,
      ...(comment.startLine === undefined ? {} : { start_line: comment.startLine, start_side: comment.side }),
      ...(comment.inReplyTo === undefined ? {} : { in_reply_to_id: comment.inReplyTo }),
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      user: userObject(comment.user, this.#url),
      body: comment.body,
      created_at: this.#now(),
      updated_at: this.#now(),
      html_url: html,
      pull_request_url: `${api}/pulls/${this.pullNumber}`,
      author_association: 'NONE',
      _links: {
        self: { href: `${api}/pulls/comments/${comment.id}` },
        html: { href: html },
        pull_request: { href: `${api}/pulls/${this.pullNumber}` },
      },
    };
  }

  /** Review threads as GitHub's GraphQL API sees them: one per top-level review comment, replies in it. */
  threadOf(commentId: number): { id: string; resolved: boolean; comments: ReviewComment[] } | undefined {
    const first = this.reviewComments.find((c) => c.id === commentId && c.inReplyTo === undefined);
    if (first === undefined) return undefined;
    return {
      id: `PRRT_${first.id}`,
      resolved: this.resolvedThreads.has(first.id),
      comments: [first, ...this.reviewComments.filter((c) => c.inReplyTo === first.id)],
    };
  }

  /**
   * POST /graphql: the review-threads query and the resolveReviewThread
   * mutation, with GitHub's shapes (data / errors with a type, HTTP 200 for
   * field errors). Variables are checked against the types the schema gives them.
   */
  #graphql(method: string, body: unknown, authorization: string | undefined, res: ServerResponse): void {
    const request = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
    const query = typeof request.query === 'string' ? request.query : '';
    const variables = request.variables ?? {};
    const operation = /\bresolveReviewThread\b/.test(query)
      ? 'graphql/resolveReviewThread'
      : /\breviewThreads\b/.test(query)
        ? 'graphql/reviewThreads'
        : null;
    const record: RecordedRequest = {
      method,
      path: '/graphql',
      query: {},
      operationId: operation,
      body,
      authorization,
      status: 200,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    if (authorization === undefined) this.violations.push('POST /graphql: no Authorization header');
    if (method !== 'POST' || operation === null) {
      this.violations.push(`${method} /graphql: not a query this fake knows: ${query.slice(0, 80)}`);
      send(400, { message: 'Problems parsing JSON', documentation_url: API_DOCS });
      return;
    }
    const expectType = (name: string, type: 'string' | 'number', nullable = false): void => {
      const value = variables[name];
      if (nullable && (value === null || value === undefined)) return;
      if (typeof value !== type || (type === 'number' && !Number.isInteger(value)))
        this.violations.push(`POST /graphql ${operation}: variable $${name} is not ${type}`);
      if (!query.includes(`$${name}`))
        this.violations.push(`POST /graphql ${operation}: $${name} is not declared`);
    };
    if (operation === 'graphql/reviewThreads') {
      expectType('owner', 'string');
      expectType('repo', 'string');
      expectType('number', 'number');
      expectType('cursor', 'string', true);
      if (variables.owner !== this.owner || variables.repo !== this.repo) {
        send(200, {
          data: { repository: null },
          errors: [{ type: 'NOT_FOUND', path: ['repository'], message: 'Could not resolve to a Repository' }],
        });
        return;
      }
      const pageSize = Number(/reviewThreads\(first:\s*(\d+)/.exec(query)?.[1] ?? '0');
      if (pageSize < 1 || pageSize > 100)
        this.violations.push('POST /graphql: reviewThreads needs first between 1 and 100');
      const threads = this.reviewComments
        .filter((c) => c.inReplyTo === undefined)
        .map((c) => this.threadOf(c.id))
        .filter((t) => t !== undefined);
      const start = typeof variables.cursor === 'string' ? Number(variables.cursor) : 0;
      const page = threads.slice(start, start + Math.max(1, pageSize));
      const end = start + page.length;
      send(200, {
        data: {
          repository: {
            pullRequest:
              variables.number === this.pullNumber
                ? {
                    reviewThreads: {
                      pageInfo: { hasNextPage: end < threads.length, endCursor: String(end) },
                      nodes: page.map((t) => ({
                        id: t.id,
                        isResolved: t.resolved,
                        viewerCanResolve: !this.readOnly && !this.cannotResolveThreads,
                        comments: { nodes: t.comments.slice(0, 1).map((c) => ({ databaseId: c.id })) },
                      })),
                    },
                  }
                : null,
          },
        },
      });
      return;
    }
    expectType('threadId', 'string');
    const id = Number(String(variables.threadId).replace(/^PRRT_/, ''));
    const thread = this.threadOf(id);
    if (thread === undefined) {
      send(200, {
        data: { resolveReviewThread: null },
        errors: [
          { type: 'NOT_FOUND', path: ['resolveReviewThread'], message: 'Could not resolve to a node' },
        ],
      });
      return;
    }
    if (this.readOnly || this.cannotResolveThreads) {
      send(200, {
        data: { resolveReviewThread: null },
        errors: [
          {
            type: 'FORBIDDEN',
            path: ['resolveReviewThread'],
            message: 'Resource not accessible by integration',
          },
        ],
      });
      return;
    }
    this.resolvedThreads.add(id);
    send(200, { data: { resolveReviewThread: { thread: { id: thread.id, isResolved: true } } } });
  }

  #route(
    operationId: string,
    params: Record<string, string>,
    url: URL,
    body: unknown,
    reply: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const input = (body ?? {}) as Record<string, unknown>;
    const isOurPull = (key: string): boolean => Number(params[key]) === this.pullNumber;
    switch (operationId) {
      case 'users/get-authenticated': {
        // Installation tokens (GITHUB_TOKEN, apps) may not read /user.
        if (this.actor.type === 'Bot')
          reply(403, {
            message: 'Resource not accessible by integration',
            documentation_url: API_DOCS,
            status: '403',
          });
        else reply(200, { ...userObject(this.actor, this.#url), user_view_type: 'public' });
        return;
      }
      case 'pulls/get': {
        if (!isOurPull('pull_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        // Only what the publisher reads; the full pull-request schema is not checked for this one.
        reply(200, {
          number: this.pullNumber,
          state: 'open',
          head: { sha: this.headSha },
          base: { sha: this.baseSha },
        });
        return;
      }
      case 'pulls/list-files': {
        if (!isOurPull('pull_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const entries = this.files.map((f, i) => {
          const additions = (f.patch ?? '').split('\n').filter((l) => l.startsWith('+')).length;
          const deletions = (f.patch ?? '').split('\n').filter((l) => l.startsWith('-')).length;
          const blob = `https://github.com/${this.owner}/${this.repo}/blob/${this.headSha}/${f.filename}`;
          return {
            sha: (i + 1).toString(16).padStart(40, 'a'),
            filename: f.filename,
            status: f.status,
            additions,
            deletions,
            changes: additions + deletions,
            blob_url: blob,
            raw_url: blob.replace('/blob/', '/raw/'),
            contents_url: `${this.#url}${this.#prefix()}/contents/${f.filename}?ref=${this.headSha}`,
            ...(f.patch === undefined ? {} : { patch: f.patch }),
          };
        });
        const page = this.#page(entries, url);
        reply(200, page.items, page.link);
        return;
      }
      case 'pulls/list-review-comments': {
        if (!isOurPull('pull_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const page = this.#page(
          this.reviewComments.map((c) => this.#reviewCommentObject(c)),
          url,
        );
        reply(200, page.items, page.link);
        return;
      }
      case 'pulls/create-review': {
        if (!isOurPull('pull_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const event = String(input.event ?? '');
        const text = typeof input.body === 'string' ? input.body : '';
        if ((event === 'COMMENT' || event === 'REQUEST_CHANGES') && text === '') {
          return reply(422, {
            message: 'Unprocessable Entity',
            errors: ['Body is required for COMMENT'],
            documentation_url: API_DOCS,
          });
        }
        const comments = (input.comments ?? []) as {
          path: string;
          line?: number;
          start_line?: number;
          side?: string;
          body: string;
        }[];
        for (const c of comments) {
          const file = this.files.find((f) => f.filename === c.path);
          const shown = file?.patch === undefined ? new Set<number>() : rightSideLines(file.patch);
          const first = c.start_line ?? c.line ?? 0;
          const span = Array.from({ length: (c.line ?? 0) - first + 1 }, (_, i) => first + i);
          if (c.start_line !== undefined && c.line !== undefined && c.start_line >= c.line) {
            return reply(422, {
              message: 'Unprocessable Entity',
              errors: ['start_line must precede line'],
              documentation_url: API_DOCS,
            });
          }
          if (c.line === undefined || span.length === 0 || !span.every((l) => shown.has(l))) {
            return reply(422, {
              message: 'Unprocessable Entity',
              errors: [
                `Pull request review thread line must be part of the diff (${c.path}:${String(c.line)})`,
              ],
              documentation_url: API_DOCS,
            });
          }
        }
        const review: Review = {
          id: this.#nextId++,
          event,
          body: text,
          commitId: typeof input.commit_id === 'string' ? input.commit_id : this.headSha,
          user: this.actor,
        };
        this.reviews.push(review);
        for (const c of comments) {
          this.reviewComments.push({
            id: this.#nextId++,
            reviewId: review.id,
            path: c.path,
            line: c.line ?? 0,
            ...(c.start_line === undefined ? {} : { startLine: c.start_line }),
            side: c.side ?? 'RIGHT',
            commitId: review.commitId,
            body: c.body,
            user: this.actor,
          });
        }
        const api = `${this.#url}${this.#prefix()}`;
        const html = `https://github.com/${this.owner}/${this.repo}/pull/${this.pullNumber}#pullrequestreview-${review.id}`;
        reply(200, {
          id: review.id,
          node_id: `PRR_${review.id}`,
          user: userObject(this.actor, this.#url),
          body: review.body,
          state: event === 'COMMENT' ? 'COMMENTED' : event,
          commit_id: review.commitId,
          html_url: html,
          pull_request_url: `${api}/pulls/${this.pullNumber}`,
          author_association: 'NONE',
          _links: { html: { href: html }, pull_request: { href: `${api}/pulls/${this.pullNumber}` } },
          submitted_at: this.#now(),
        });
        return;
      }
      case 'pulls/create-reply-for-review-comment': {
        if (!isOurPull('pull_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const parent = this.reviewComments.find((c) => c.id === Number(params.comment_id));
        // GitHub answers threads at their top-level comment only.
        if (parent === undefined || parent.inReplyTo !== undefined)
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const comment: ReviewComment = {
          id: this.#nextId++,
          reviewId: parent.reviewId,
          path: parent.path,
          line: parent.line,
          side: parent.side,
          commitId: this.headSha,
          body: String(input.body),
          user: this.actor,
          inReplyTo: parent.id,
        };
        this.reviewComments.push(comment);
        reply(201, this.#reviewCommentObject(comment));
        return;
      }
      case 'issues/list-comments': {
        if (!isOurPull('issue_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const page = this.#page(
          this.issueComments.map((c) => this.#issueCommentObject(c)),
          url,
        );
        reply(200, page.items, page.link);
        return;
      }
      case 'issues/create-comment': {
        if (!isOurPull('issue_number'))
          return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        const text = String(input.body);
        if (text.length > 65_536) {
          return reply(422, {
            message: 'Validation Failed',
            errors: ['body is too long (maximum is 65536 characters)'],
            documentation_url: API_DOCS,
          });
        }
        const comment = {
          id: this.#nextId++,
          body: text,
          user: this.actor,
          created_at: this.#now(),
          updated_at: this.#now(),
        };
        this.issueComments.push(comment);
        reply(201, this.#issueCommentObject(comment));
        return;
      }
      case 'issues/update-comment': {
        const comment = this.issueComments.find((c) => c.id === Number(params.comment_id));
        if (comment === undefined) return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        if (comment.user.login !== this.actor.login)
          return reply(403, {
            message: 'Must have admin rights to Repository.',
            documentation_url: API_DOCS,
          });
        const text = String(input.body);
        if (text.length > 65_536) {
          return reply(422, {
            message: 'Validation Failed',
            errors: ['body is too long (maximum is 65536 characters)'],
            documentation_url: API_DOCS,
          });
        }
        comment.body = text;
        comment.updated_at = this.#now();
        reply(200, this.#issueCommentObject(comment));
        return;
      }
      case 'issues/delete-comment': {
        const index = this.issueComments.findIndex((c) => c.id === Number(params.comment_id));
        if (index === -1) return reply(404, { message: 'Not Found', documentation_url: API_DOCS });
        this.issueComments.splice(index, 1);
        reply(204);
        return;
      }
      default:
        reply(404, { message: 'Not Found', documentation_url: API_DOCS });
    }
  }
}
