// The enum types as the change's statements leave them, statement by
// statement: the base's types, then CREATE TYPE … AS ENUM, ALTER TYPE …
// RENAME / ADD VALUE / RENAME VALUE and DROP TYPE. A type is followed by
// identity, as Postgres does: a column keeps its type when the type is
// renamed, so "the labels of the column's type" and "the labels of the type
// now called status" can differ (the rename-and-recreate way of removing a
// label).
import type { AlterTypeStmt, CreateTypeStmt, DropTypeStmt, Node } from 'sql-parser-cst';
import { DEFAULT_SCHEMA, identifierName } from '../../lint/names.ts';
import type { EnumType } from '../../schema/types.ts';

export interface TrackedEnum {
  labels: string[];
  /** "schema.name" at the base, when the type existed there. */
  baseKey: string | null;
}

/** "schema.name" of a type name node (unqualified: public). */
export function typeKey(node: Node): string | undefined {
  if (node.type === 'identifier') {
    const name = identifierName(node);
    return name === undefined ? undefined : `${DEFAULT_SCHEMA}.${name}`;
  }
  if (node.type === 'member_expr') {
    const schema = identifierName(node.object);
    const name = identifierName(node.property);
    return schema === undefined || name === undefined ? undefined : `${schema}.${name}`;
  }
  return undefined;
}

/** "schema.name" of a type as SQL writes it in ALTER COLUMN … TYPE (quotes and all). */
export function typeKeyOfText(text: string): string {
  const parts = text
    .trim()
    .split('.')
    .map((part) => {
      const trimmed = part.trim();
      return trimmed.startsWith('"') ? trimmed.slice(1, -1).replaceAll('""', '"') : trimmed.toLowerCase();
    });
  return parts.length === 1 ? `${DEFAULT_SCHEMA}.${parts[0] ?? ''}` : `${parts[0] ?? ''}.${parts[1] ?? ''}`;
}

export class EnumCatalog {
  readonly #byName = new Map<string, TrackedEnum>();

  constructor(base: Record<string, EnumType>) {
    for (const [key, type] of Object.entries(base))
      this.#byName.set(key, { labels: [...type.labels], baseKey: key });
  }

  /** The type now called `key`. */
  get(key: string): TrackedEnum | undefined {
    return this.#byName.get(key);
  }

  /** The type a base column of enum type `baseKey` has now (renames followed). */
  ofBaseType(baseKey: string): TrackedEnum | undefined {
    for (const tracked of this.#byName.values()) if (tracked.baseKey === baseKey) return tracked;
    return undefined;
  }

  apply(node: CreateTypeStmt | AlterTypeStmt | DropTypeStmt): void {
    if (node.type === 'create_type_stmt') {
      const key = typeKey(node.name);
      if (key !== undefined && node.definition?.type === 'enum_type_definition') {
        this.#byName.set(key, {
          labels: node.definition.values.expr.items.map((v) => v.value),
          baseKey: null,
        });
      }
      return;
    }
    if (node.type === 'drop_type_stmt') {
      for (const name of node.types.items) {
        const key = typeKey(name);
        if (key !== undefined) this.#byName.delete(key);
      }
      return;
    }
    const key = typeKey(node.name);
    const tracked = key === undefined ? undefined : this.#byName.get(key);
    if (key === undefined || tracked === undefined) return;
    for (const action of node.actions.items) {
      if (action.type === 'alter_action_rename') {
        const renamed = typeKey(action.newName);
        const schema = key.slice(0, key.indexOf('.'));
        const target =
          renamed === undefined || action.newName.type === 'member_expr'
            ? renamed
            : `${schema}.${renamed.slice(renamed.indexOf('.') + 1)}`;
        if (target !== undefined) {
          this.#byName.delete(key);
          this.#byName.set(target, tracked);
        }
      } else if (action.type === 'alter_action_add_enum_value') {
        if (!tracked.labels.includes(action.value.value)) tracked.labels.push(action.value.value);
      } else if (action.type === 'alter_action_rename_enum_value') {
        tracked.labels = tracked.labels.map((l) => (l === action.oldValue.value ? action.newValue.value : l));
      }
    }
  }
}
