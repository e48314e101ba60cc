// The GitHub Action: inputs → review → outputs → gate. Everything started is
// torn down before the step ends, also when it fails.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { errorMessage, isUsageError } from './errors.ts';
import { resolveOptions, type RawOptions } from './options.ts';
import { renderJson } from './render/json.ts';
import { renderText } from './render/text.ts';
import { review } from './review.ts';
import { teardownAll } from './teardown.ts';

function input(name: string): string | undefined {
  const value = core.getInput(name);
  return value === '' ? undefined : value;
}

export function actionOptions(): RawOptions {
  return {
    projectDir: input('working-directory'),
    config: input('alembic-config'),
    python: input('python'),
    database: input('database'),
    databaseUrl: input('database-url'),
    postgresImage: input('postgres-image'),
    base: input('base-ref'),
    failOn: input('fail-on'),
    seedRows: input('seed-rows'),
    seedSql: input('seed-sql'),
    urlEnv: input('url-env'),
    format: 'json',
  };
}

export async function run(): Promise<void> {
  try {
    const options = resolveOptions(actionOptions(), process.env.GITHUB_WORKSPACE ?? process.cwd());
    const result = await review(options, {
      log: (line) => {
        core.info(line);
      },
      pythonOutput: (line) => {
        core.debug(`python: ${line}`);
      },
    });
    const dir = await mkdtemp(path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'alembic-review-'));
    const reportPath = path.join(dir, 'report.json');
    await writeFile(reportPath, renderJson(result));
    core.info(renderText(result, { color: false }));
    core.setOutput('verdict', result.summary.verdict);
    core.setOutput('errors', result.summary.errors);
    core.setOutput('warnings', result.summary.warnings);
    core.setOutput('report-json', reportPath);
    core.setOutput('comment-url', '');
    if (result.summary.verdict === 'fail') {
      core.setFailed(
        `alembic-review: ${result.summary.errors} errors, ${result.summary.warnings} warnings (fail-on: ${result.failOn})`,
      );
    }
  } catch (error) {
    core.setFailed(isUsageError(error) ? error.message : `internal error: ${errorMessage(error)}`);
  } finally {
    await teardownAll((line) => {
      core.warning(line);
    });
  }
}
