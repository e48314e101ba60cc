// Shared pieces of the GitHub tests: a context pointing at the fake API, a
// log that records, and patches for added files.
import type { GitHubContext } from '../../src/github/context.ts';
import type { PublishLog } from '../../src/github/publish.ts';
import type { ChangedFile, FakeGitHub } from './fake-github.ts';

export const HEAD_SHA = 'c'.repeat(40);
export const BASE_SHA = 'b'.repeat(40);

export function contextFor(github: FakeGitHub, overrides: Partial<GitHubContext> = {}): GitHubContext {
  return {
    eventName: 'pull_request',
    event: { ref: 'refs/pull/7/merge', before: null, mergeGroupBaseSha: null, defaultBranch: 'main' },
    repository: { owner: github.owner, repo: github.repo },
    pullRequest: {
      number: github.pullNumber,
      headSha: github.headSha,
      baseSha: BASE_SHA,
      baseRef: 'main',
      headRepository: `${github.owner}/${github.repo}`,
    },
    workflowRun: null,
    apiUrl: github.url,
    serverUrl: 'https://github.com',
    runUrl: 'https://github.com/blog-team/blog/actions/runs/42',
    workspace: '/tmp',
    ...overrides,
  };
}

export interface RecordingLog extends PublishLog {
  infos: string[];
  warnings: string[];
}

export function recordingLog(): RecordingLog {
  const infos: string[] = [];
  const warnings: string[] = [];
  return {
    infos,
    warnings,
    info: (line) => {
      infos.push(line);
    },
    warning: (line) => {
      warnings.push(line);
    },
  };
}

/** An added file of `lines` lines, as pulls.listFiles shows it. */
export function addedFile(filename: string, lines: number): ChangedFile {
  const body = Array.from({ length: lines }, (_, i) => `+line ${i + 1}`).join('\n');
  return { filename, status: 'added', patch: `@@ -0,0 +1,${lines} @@\n${body}` };
}

/** A modified file whose diff shows only lines from..to (context and one added line). */
export function modifiedFile(filename: string, from: number, to: number): ChangedFile {
  const count = to - from + 1;
  const body = Array.from({ length: count }, (_, i) =>
    i === 1 ? `+changed ${from + i}` : ` line ${from + i}`,
  );
  return {
    filename,
    status: 'modified',
    patch: `@@ -${from},${count - 1} +${from},${count} @@\n${body.join('\n')}`,
  };
}
