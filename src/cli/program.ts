// The command line: review | fix | publish | rules | doctor (DESIGN.md "CLI").
// Exit codes: 0 passed, 1 gate failed, 2 usage or infrastructure error with
// a one-paragraph message (stack trace only with --verbose).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
// Only what parsing the command line needs is imported here: each command
// loads its own modules, and a review starts the project's Python before
// it loads the review's (see reviewWithFixes).
import { Command, CommanderError, Option } from 'commander';
import { greetedBridge } from '../alembic/open-bridge.ts';
import { errorMessage, isUsageError } from '../errors.ts';
import type { Review } from '../model.ts';
import { PREFLIGHT_URL_ENV, resolveOptions, type Options, type RawOptions } from '../options.ts';
import { cancellation, teardownAll } from '../teardown.ts';
import { TOOL } from '../version.ts';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY,
};

/** The flags of `review`, shared by `fix` (which has no report format or output file). */
function reviewFlags(command: Command, options: { fix?: boolean } = {}): Command {
  command
    .option('--project <dir>', 'the directory that holds alembic.ini', '.')
    .option(
      '--config <file>',
      'the Alembic config file (default: alembic.ini, else [tool.alembic] in pyproject.toml)',
    )
    .option('-n, --name <section>', 'the ini section of the Alembic config (default: alembic)')
    .option(
      '--config-factory <module:function>',
      'a function that returns the Alembic Config, for projects that build it in code',
    )
    .option(
      '-x, --x-arg <key=value>',
      'an argument for env.py, read with context.get_x_argument() (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--flask-app <import>',
      'the Flask app of a Flask-Migrate project (default: as `flask db` finds it)',
    )
    .option(
      '--base-from <how>',
      'how the database at the base is built: replay (default), models, or schema:FILE (a pg_dump --schema-only file)',
    )
    .option(
      '--engine <name>',
      "Alembic's multidb template: review only this database of the ini's databases option (default: each of them)",
    )
    .option(
      '--tenant-schema <name>',
      'schema per tenant: an empty schema of this name in every throwaway database, for an env.py that migrates each tenant schema it finds',
    )
    .option('--base <ref>', 'git ref to compare with (default: merge-base with the default branch)')
    .option('--since <rev>', 'review every revision after this revision id instead of using git')
    .addOption(
      new Option('--database <kind>', 'where the throwaway PostgreSQL comes from').choices([
        'auto',
        'testcontainers',
        'embedded',
        'url',
        'none',
      ]),
    )
    .option('--database-url <url>', 'an existing server to create (and drop) temporary databases on')
    .option('--postgres-image <image>', 'the PostgreSQL image for testcontainers')
    .option('--python <path>', "the project's Python (default: .venv/bin/python, else python3)")
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when findings of this level exist').choices([
        'error',
        'warning',
        'never',
      ]),
    )
    .addOption(
      new Option(
        '--pre-existing <what>',
        'findings the base commit already has: notices (default), errors as they are, or left out',
      ).choices(['notice', 'error', 'off']),
    )
    .option('--seed-rows <n>', 'synthetic rows per existing table (default 3)')
    .option('--seed-sql <file>', 'SQL file with realistic rows, run after the synthetic ones')
    .option('--url-env <names>', 'environment variables env.py reads its database URL from (comma-separated)')
    .option('--pass-env <names>', 'other environment variables the project needs (comma-separated)')
    .option(
      '--dotenv <files>',
      "dotenv files whose variables the project's code gets, as docker compose's env_file (comma-separated)",
    )
    .option(
      '--driver <name>',
      'SQLAlchemy driver for env.py (default: detected, e.g. psycopg, psycopg2, asyncpg)',
    )
    .option('--revision-timeout <duration>', 'time limit per revision (default 5m)')
    .option('--max-new-revisions <n>', 'refuse changes that add more revisions than this (default 50)')
    .addOption(
      new Option(
        '--database-role <role>',
        "what the project's code connects as: a role of the run's own (default) or the server's superuser",
      ).choices(['restricted', 'superuser']),
    )
    .option('--extensions <names>', 'extensions to create beforehand, as superuser (comma-separated)')
    .addOption(
      new Option(
        '--sandbox <setting>',
        "auto: run the project's Python as an unprivileged user in a PID namespace where possible; off: as this user",
      ).choices(['auto', 'off']),
    )
    .option(
      '--preflight-url <url>',
      `a read-only copy of production's data to count breaking rows on (default: $${PREFLIGHT_URL_ENV})`,
    )
    .option('--preflight-show-values', 'show up to ten offending values found there (default: counts only)')
    .option(
      '--cache-dir <dir>',
      'where the base frontier is cached between runs (default $XDG_CACHE_HOME/alembic-review)',
    )
    .option('--no-cache', 'replay the base every time (no cache read or written)')
    .addOption(
      new Option(
        '--deploy-order <order>',
        'migrate-first (default): check that the running release survives the migrated schema; code-first: also the new release on the old schema; off',
      ).choices(['migrate-first', 'code-first', 'off']),
    )
    .option('--verbose', "show the project's Python output and stack traces");
  if (options.fix !== true) {
    command
      .addOption(
        new Option('--format <format>', 'report format').choices(['text', 'markdown', 'json', 'sarif']),
      )
      .option('--output <file>', 'write the report to a file instead of stdout')
      .option('--no-color', 'no colour in the text report');
  }
  return command;
}

function buildProgram(io: CliIO, run: (action: () => Promise<number>) => void): Command {
  const program = new Command('alembic-review')
    .description(
      'Review Alembic migrations: replay them on a throwaway PostgreSQL with rows, diff against the models, lint the SQL.',
    )
    .version(TOOL.version)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (message, write) => {
        write(`alembic-review: ${message.replace(/^error: /, '')}`);
      },
    })
    .showSuggestionAfterError(true);

  reviewFlags(program.command('review').description('Review the new revisions of an Alembic project')).action(
    (flags: Record<string, unknown>) => {
      run(() => runReview(flags, io));
    },
  );

  reviewFlags(
    program
      .command('fix')
      .description(
        'Review, then make the fixes that are edits of the migration files (the one-click suggestions of the pull request comments)',
      ),
    { fix: true },
  )
    .option(
      '--rule <ids>',
      'only fix findings of these rules (comma-separated, repeatable)',
      (value: string, previous: string[]) => [...previous, ...value.split(',')],
      [],
    )
    .option('--dry-run', 'print the edits as a diff, change no file')
    .action((flags: Record<string, unknown>) => {
      run(() => runFix(flags, io));
    });

  program
    .command('publish')
    .description('Post a JSON report to the pull request (the fork-safe second phase)')
    .requiredOption('--report <file>', 'the report written by `review --format json`')
    .action((flags: { report: string }) => {
      run(async () => {
        // Loaded only here: the GitHub client and its HTTP stack would slow every other command's start.
        const { publishReport } = await import('../github/publish.ts');
        const outcome = await publishReport(flags.report, process.env);
        if (outcome.skipped !== null)
          io.stderr(`alembic-review: nothing posted to the pull request: ${outcome.skipped}\n`);
        return 0;
      });
    });

  program
    .command('rules')
    .description('List every rule with its category, default severity and documentation')
    .action(() => {
      run(async () => {
        const { printRules } = await import('./rules.ts');
        io.stdout(printRules());
        return 0;
      });
    });

  program
    .command('doctor')
    .description('Show what is found and what is missing to run a review')
    .option('--project <dir>', 'the directory that holds alembic.ini', '.')
    .option('--python <path>', "the project's Python")
    .option('--postgres-image <image>', 'the PostgreSQL image for testcontainers')
    .action((flags: Record<string, unknown>) => {
      run(async () => {
        const { doctor } = await import('./doctor.ts');
        io.stdout(await doctor(flags));
        return 0;
      });
    });
  return program;
}

function rawOptions(flags: Record<string, unknown>): RawOptions {
  return {
    projectDir: flags.project,
    config: flags.config,
    iniSection: flags.name,
    configFactory: flags.configFactory,
    // Commander's default is an empty list: then [tool.alembic-review] x-arg applies.
    xArgs: Array.isArray(flags.xArg) && flags.xArg.length > 0 ? flags.xArg : undefined,
    flaskApp: flags.flaskApp,
    baseFrom: flags.baseFrom,
    tenantSchema: flags.tenantSchema,
    engine: flags.engine,
    base: flags.base,
    since: flags.since,
    database: flags.database,
    databaseUrl: flags.databaseUrl,
    postgresImage: flags.postgresImage,
    python: flags.python,
    format: flags.format,
    output: flags.output,
    failOn: flags.failOn,
    preExisting: flags.preExisting,
    seedRows: flags.seedRows,
    seedSql: flags.seedSql,
    urlEnv: flags.urlEnv,
    passEnv: flags.passEnv,
    dotenvFiles: flags.dotenv,
    driver: flags.driver,
    revisionTimeoutMs: flags.revisionTimeout,
    maxNewRevisions: flags.maxNewRevisions,
    databaseRole: flags.databaseRole,
    extensions: flags.extensions,
    sandbox: flags.sandbox,
    preflightUrl: flags.preflightUrl ?? process.env[PREFLIGHT_URL_ENV],
    preflightShowValues: flags.preflightShowValues,
    // --no-cache wins; a --cache-dir is relative to where the command runs.
    cacheDir:
      flags.cache === false
        ? false
        : typeof flags.cacheDir === 'string'
          ? path.resolve(flags.cacheDir)
          : undefined,
    deployOrder: flags.deployOrder,
    verbose: flags.verbose === true,
  };
}

/** The review, its findings with the edits that fix them (for the JSON report and `fix`), and the root their files are relative to. */
async function reviewWithFixes(options: Options, io: CliIO): Promise<{ review: Review; root: string }> {
  const pythonOutput = (line: string): void => {
    if (options.verbose) io.stderr(`  python: ${line}\n`);
  };
  // The project's Python starts now, and imports its stack while the review's modules load
  // (running first: loading them keeps this process too busy to take the spawn's steps).
  const bridge = greetedBridge(options, pythonOutput);
  await bridge.bridge.running();
  const [{ review }, { attachFixes, findingsRoot }] = await Promise.all([
    import('../review.ts'),
    import('../fix/apply.ts'),
  ]);
  // Asked of git while the review runs: a process start less at the end.
  const root = findingsRoot(options.projectDir);
  root.catch(() => undefined); // awaited below, if the review gets that far
  const result = await review(options, {
    log: (line) => {
      io.stderr(`${line}\n`);
    },
    pythonOutput,
    bridge,
  });
  const found = await root;
  return { review: await attachFixes(result, found), root: found };
}

async function runFix(flags: Record<string, unknown>, io: CliIO): Promise<number> {
  const { checkRules, fixReview } = await import('../fix/command.ts');
  const rules = checkRules(Array.isArray(flags.rule) ? flags.rule.map(String) : []);
  const options = resolveOptions(rawOptions(flags));
  // The root git gave for the findings' files: the edits are made there.
  const { review, root } = await reviewWithFixes(options, io);
  await fixReview(review, root, { rules, dryRun: flags.dryRun === true }, io.stdout);
  return 0;
}

async function runReview(flags: Record<string, unknown>, io: CliIO): Promise<number> {
  const raw = rawOptions(flags);
  const options: Options = resolveOptions(raw);
  // Loaded while the review runs.
  const renderer = import('../render/index.ts');
  renderer.catch(() => undefined); // awaited after the review
  const { review: result } = await reviewWithFixes(options, io);
  const color =
    flags.color !== false && io.isTTY && options.output === undefined && process.env.NO_COLOR === undefined;
  const { renderReport } = await renderer;
  const text = renderReport(result, options.format, { color });
  if (options.output === undefined) io.stdout(text);
  else {
    await writeFile(options.output, text);
    io.stderr(`report written to ${options.output}\n`);
  }
  return result.summary.verdict === 'fail' ? 1 : 0;
}

/** Prints an error the way the contract says: one paragraph, exit code 2. */
export function reportError(error: unknown, verbose: boolean, io: CliIO): number {
  // After SIGTERM/SIGINT the teardown makes the pipeline fail: not an error to report.
  const cancelled = cancellation();
  if (cancelled !== undefined) return cancelled.code;
  if (isUsageError(error)) {
    io.stderr(`alembic-review: ${error.message}\n`);
    if (verbose && error.detail !== undefined) io.stderr(`${error.detail}\n`);
    if (verbose && error.stack !== undefined) io.stderr(`${error.stack}\n`);
    return 2;
  }
  io.stderr(
    `alembic-review: internal error: ${errorMessage(error)}. This is a bug in alembic-review; run with --verbose for the stack trace and report it.\n`,
  );
  if (verbose && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`);
  return 2;
}

/** Runs the CLI; resolves with the exit code. Everything started is torn down before it resolves. */
export async function runCli(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (action) => {
    pending = action();
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (pending === undefined) return 0;
    return await pending;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; parse errors were printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error, verbose, io);
  } finally {
    await teardownAll();
  }
}
