// Schema per tenant (tenant-schema): the tenant schema is where the
// schema-less models and the tenant migrations' unqualified names live, as
// env.py's search_path puts them. Everything downstream (drift, its fix
// code, the lint rules' tables with rows, the model classes' lines) speaks of
// such tables as unqualified, i.e. public; so the tenant schema is shown as
// public, and the real public schema, which no tenant migration reaches, is
// left out.
import type { Schema } from './types.ts';

const PUBLIC = 'public';

/** `schema` with `tenant` shown as public (and public's own objects left out). */
export function tenantAsPublic(schema: Schema, tenant: string): Schema {
  if (tenant === PUBLIC) return schema;
  const shown = (name: string): string | null => (name === tenant ? PUBLIC : name === PUBLIC ? null : name);
  /** "schema.rest" with the schema shown; null for public's own. */
  const key = (qualified: string): string | null => {
    const dot = qualified.indexOf('.');
    const name = shown(qualified.slice(0, dot));
    return name === null ? null : `${name}${qualified.slice(dot)}`;
  };
  const keep = <T extends { schema: string }>(
    record: Record<string, T>,
    map: (value: T, schema: string) => T,
  ): Record<string, T> => {
    const kept: Record<string, T> = {};
    for (const [k, value] of Object.entries(record)) {
      const name = shown(value.schema);
      const mapped = key(k);
      if (name !== null && mapped !== null) kept[mapped] = map(value, name);
    }
    return kept;
  };
  return {
    schemas: schema.schemas.flatMap((s) => shown(s) ?? []),
    tables: keep(schema.tables, (table, name) => ({
      ...table,
      schema: name,
      partitionOf: table.partitionOf == null ? null : key(table.partitionOf),
      columns: table.columns.map((c) =>
        c.enumType == null ? c : { ...c, enumType: key(c.enumType) ?? c.enumType },
      ),
      foreignKeys: table.foreignKeys.map((fk) => ({
        ...fk,
        referredTable: key(fk.referredTable) ?? fk.referredTable,
      })),
    })),
    enums: keep(schema.enums, (e, name) => ({ ...e, schema: name })),
    sequences: keep(schema.sequences, (s, name) => ({
      ...s,
      schema: name,
      ownedBy: s.ownedBy === null ? null : key(s.ownedBy),
    })),
  };
}
