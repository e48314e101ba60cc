// The GitHub REST client (@actions/github's Octokit: it honours proxies and
// GITHUB_API_URL) and how its errors are told apart.
import { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

export function createClient(token: string, apiUrl: string): GitHubClient {
  return getOctokit(token, { baseUrl: apiUrl });
}

/** The HTTP status of an Octokit RequestError, or null for anything else. */
export function httpStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null || !('status' in error)) return null;
  return typeof error.status === 'number' ? error.status : null;
}

/**
 * The token may not write to the pull request: fork PRs and Dependabot get a
 * read-only GITHUB_TOKEN (403 "Resource not accessible by integration"); a
 * token without access to the repository sees 404 on writes.
 */
export function isPermissionError(error: unknown): boolean {
  const status = httpStatus(error);
  if (status === 401) return true;
  // A 403 is also how GitHub reports secondary rate limits: those are not about permissions.
  return status === 403 && !/rate limit/i.test(error instanceof Error ? error.message : '');
}
