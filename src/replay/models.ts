// The declared side: env.py's target_metadata create_all()'d into a second
// throwaway database (with the include_object / include_name exclusions and
// the model classes found in the project's source), and the ORM smoke test
// that stores one object per mapped class in the migrated head.
import { RevisionTimeout } from '../alembic/bridge.ts';
import { explainBridgeError } from '../alembic/project.ts';
import type { DanglingForeignKey, Exclusions, ModelClass, RunResult } from '../alembic/protocol.ts';
import { finding } from '../checks/finding.ts';
import { reviewIncomplete } from '../checks/runtime.ts';
import type { Finding } from '../model.ts';
import { diffSchemas } from '../schema/diff.ts';
import { introspect } from '../schema/introspect.ts';
import type { Schema } from '../schema/types.ts';
import { versionTableKey, type HeadState, type ReplayContext } from './replay.ts';

export interface ModelsState {
  /** Null when env.py gives no target_metadata, or the models cannot be created. */
  schema: Schema | null;
  excluded: Exclusions;
  modelClasses: ModelClass[];
  danglingForeignKeys: DanglingForeignKey[];
  /** Schemas other than public that the models declare. */
  schemas: string[];
  /** env.py has include_object / include_name: built without a head, `excluded` lacks the head's side (modelsForHead). */
  filters: boolean;
  /** Built without a head (before the replay reached it). */
  headless: boolean;
  /** The bridge's restarts when built: after another, its child no longer holds the models (the ORM smoke test needs them). */
  restarts: number;
  /** Notices about what could not be checked. */
  findings: Finding[];
}

const NO_EXCLUSIONS: Exclusions = { tables: [], columns: [], indexes: [], constraints: [] };
const NO_MODELS: Omit<ModelsState, 'findings' | 'restarts'> = {
  schema: null,
  excluded: NO_EXCLUSIONS,
  modelClasses: [],
  danglingForeignKeys: [],
  schemas: [],
  filters: false,
  headless: true,
};

/**
 * The models created in a database of their own (`purpose`: the pull
 * request's 'models', the base commit's 'base models', each reserved ahead
 * in the order needed) and introspected.
 */
export async function buildModels(
  context: ReplayContext,
  head: HeadState | null,
  purpose = 'models',
): Promise<ModelsState> {
  // Not dropped here: DROP DATABASE waits for a checkpoint, and the
  // provider's stop() drops every database at once.
  const database = await context.provider.createDatabase(purpose);
  try {
    const result = await context.bridge.call('models', {
      url: database.url,
      expect: { name: database.name, token: database.token },
      urlEnv: context.urlEnv,
      ...(head === null
        ? {}
        : {
            headUrl: head.database.url,
            headExpect: { name: head.database.name, token: head.database.token },
          }),
    });
    const dangling = result.danglingForeignKeys ?? [];
    const base = {
      excluded: result.excluded ?? NO_EXCLUSIONS,
      modelClasses: result.modelClasses,
      danglingForeignKeys: dangling,
      schemas: result.schemas,
      filters: result.filters === true,
      headless: head === null,
      restarts: context.bridge.restarts,
    };
    if (!result.hasMetadata) {
      return {
        ...base,
        schema: null,
        findings: [
          reviewIncomplete(
            'env.py passes no target_metadata to context.configure(), so the migrated schema was not compared with the models and no ORM smoke test ran. Set target_metadata = Base.metadata in env.py.',
          ),
        ],
      };
    }
    if (typeof result.error === 'string') {
      return {
        ...base,
        schema: null,
        findings: [
          reviewIncomplete(
            `The models database could not be built, so drift and the ORM smoke test were skipped: ${result.error}`,
          ),
        ],
      };
    }
    for (const refused of result.refusedIndexes ?? []) {
      context.log(
        `the models' index ${refused.index} cannot be created on PostgreSQL as declared (${refused.message.split('\n')[0] ?? ''}): it is left out of the drift comparison`,
      );
    }
    for (const fk of dangling) {
      context.log(
        `${fk.table} has a foreign key (${fk.columns.join(', ')}) to ${fk.referredTable}, which target_metadata does not contain`,
      );
    }
    return { ...base, schema: await introspect(database.url), findings: [] };
  } catch (error) {
    if (!(error instanceof RevisionTimeout)) throw explainBridgeError(error, context.python);
    await context.bridge.restart();
    return {
      ...NO_MODELS,
      restarts: context.bridge.restarts,
      findings: [
        reviewIncomplete(
          `Running env.py for its target_metadata did not finish within ${Math.round(error.timeoutMs / 1000)} s (revision-timeout) and was stopped, so drift and the ORM smoke test were skipped.`,
        ),
      ],
    };
  }
}

/**
 * Models built before the head existed (while the base got its rows), made
 * whole for the head: env.py's include_object / include_name applied to the
 * head's own objects too. When the bridge restarted since (a revision ran out
 * of time), its child no longer holds them: built again, with the head.
 */
export async function modelsForHead(
  context: ReplayContext,
  models: ModelsState,
  head: HeadState,
): Promise<ModelsState> {
  if (!models.headless || models.schema === null) return models;
  if (models.restarts !== context.bridge.restarts) return buildModels(context, head);
  if (!models.filters) return models;
  try {
    const { excluded } = await context.bridge.call('exclusions', {
      headUrl: head.database.url,
      headExpect: { name: head.database.name, token: head.database.token },
      urlEnv: context.urlEnv,
    });
    const union = (key: keyof Exclusions): string[] =>
      [...new Set([...models.excluded[key], ...excluded[key]])].sort();
    return {
      ...models,
      headless: false,
      excluded: {
        tables: union('tables'),
        columns: union('columns'),
        indexes: union('indexes'),
        constraints: union('constraints'),
      },
    };
  } catch (error) {
    if (!(error instanceof RevisionTimeout)) throw explainBridgeError(error, context.python);
    await context.bridge.restart();
    return buildModels(context, head);
  }
}

/** Drift findings of a migrated schema against the models database built from the same tree. */
export function modelDrift(
  schema: Schema,
  models: ModelsState & { schema: Schema },
  configure: RunResult['configure'],
  relative: (file: string) => string,
): Finding[] {
  return diffSchemas(schema, models.schema, {
    exclude: models.excluded,
    versionTable: versionTableKey(configure),
    modelClasses: models.modelClasses.map((c) => ({ ...c, file: relative(c.file) })),
    // Like autogenerate: other schemas only with include_schemas (or when the models use them).
    ...(configure?.includeSchemas === true ? {} : { schemas: ['public', ...models.schemas] }),
  });
}

/** One object per mapped class through a Session on the migrated head; all rolled back. */
export async function ormSmokeTest(
  context: ReplayContext,
  head: HeadState,
  relative: (file: string) => string,
): Promise<{ checked: number; findings: Finding[] }> {
  try {
    const result = await context.bridge.call('orm', {
      url: head.database.url,
      expect: { name: head.database.name, token: head.database.token },
    });
    const findings = result.failures.map((failure) =>
      finding({
        ruleId: 'orm-insert-failed',
        message: `The model ${failure.className} cannot be stored in the migrated schema: inserting one through a Session and reading it back failed with: ${failure.message}${failure.sqlstate === null ? '' : ` (SQLSTATE ${failure.sqlstate})`}. The application will fail the same way after this migration.`,
        table: failure.table.replace(/^public\./, ''),
        ...(failure.file === null ? {} : { file: relative(failure.file) }),
        ...(failure.line === null ? {} : { line: failure.line }),
        details: { className: failure.className, sqlstate: failure.sqlstate },
        suggestion: {
          text: 'Make the migrations create what the model maps (a migration for the model change is missing or differs), or fix the model.',
        },
      }),
    );
    for (const skipped of result.skipped ?? []) {
      findings.push(
        reviewIncomplete(
          `The ORM smoke test skipped ${skipped.className}: ${skipped.reason}${skipped.modelsIncomplete === true ? " (is that model's module imported where the metadata is built?)" : ''}.`,
        ),
      );
    }
    return { checked: result.checked.length, findings };
  } catch (error) {
    if (!(error instanceof RevisionTimeout)) throw explainBridgeError(error, context.python);
    await context.bridge.restart();
    return {
      checked: 0,
      findings: [
        reviewIncomplete(
          `The ORM smoke test did not finish within ${Math.round(error.timeoutMs / 1000)} s (revision-timeout) and was stopped.`,
        ),
      ],
    };
  }
}
