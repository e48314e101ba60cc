// Column types as the rules need them: one spelling for what SQL writes
// (VARCHAR(100), int8, timestamptz) and what pg_catalog's format_type()
// reports (character varying(100), bigint, timestamp with time zone); which
// type changes Postgres makes without rewriting the table; which types can
// hold a renamed column's data; and the SQLAlchemy type for suggested code.

export interface ColumnType {
  /** Canonical name, as format_type() spells it: "character varying", "integer", "numeric". */
  name: string;
  /** Type modifiers: length, precision and scale. */
  args: number[];
  array: boolean;
}

const ALIASES: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  serial: 'integer',
  serial4: 'integer',
  int8: 'bigint',
  bigserial: 'bigint',
  serial8: 'bigint',
  int2: 'smallint',
  smallserial: 'smallint',
  serial2: 'smallint',
  varchar: 'character varying',
  char: 'character',
  bpchar: 'character',
  bool: 'boolean',
  decimal: 'numeric',
  float8: 'double precision',
  float: 'double precision',
  float4: 'real',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  varbit: 'bit varying',
};

/** Parses a type as SQL or format_type() writes it. */
export function parseColumnType(text: string): ColumnType {
  let rest = text.trim().toLowerCase().replace(/\s+/g, ' ');
  let array = false;
  while (rest.endsWith('[]')) {
    array = true;
    rest = rest.slice(0, -2).trim();
  }
  if (rest.endsWith(' array')) {
    array = true;
    rest = rest.slice(0, -' array'.length);
  }
  const args: number[] = [];
  // Modifiers may sit inside the name: "timestamp(3) with time zone".
  rest = rest.replace(/\s*\(([^)]*)\)/, (_match, inner: string) => {
    for (const part of inner.split(',')) {
      const n = Number(part.trim());
      if (Number.isFinite(n)) args.push(n);
    }
    return '';
  });
  rest = rest.replace(/^"(.*)"$/, '$1').replace(/^pg_catalog\./, '');
  if (rest === 'timestamp with time zone' || rest === 'timestamp without time zone')
    return { name: rest, args, array };
  if (rest === 'time with time zone' || rest === 'time without time zone') return { name: rest, args, array };
  return { name: ALIASES[rest] ?? rest, args, array };
}

export function formatColumnType(type: ColumnType): string {
  const args = type.args.length > 0 ? `(${type.args.join(',')})` : '';
  return `${type.name}${args}${type.array ? '[]' : ''}`;
}

export function sameType(a: ColumnType, b: ColumnType): boolean {
  return formatColumnType(a) === formatColumnType(b);
}

const FAMILIES: Record<string, string> = {
  text: 'text',
  'character varying': 'text',
  character: 'text',
  citext: 'text',
  name: 'text',
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
  numeric: 'number',
  real: 'number',
  'double precision': 'number',
  'timestamp with time zone': 'timestamp',
  'timestamp without time zone': 'timestamp',
  date: 'date',
  'time with time zone': 'time',
  'time without time zone': 'time',
  json: 'json',
  jsonb: 'json',
  bytea: 'binary',
};

/** Could a column of type `to` hold the data of a column of type `from` (a rename, not a new column)? */
export function compatibleTypes(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  return (FAMILIES[from.name] ?? from.name) === (FAMILIES[to.name] ?? to.name);
}

/**
 * Type changes Postgres makes without rewriting the table or rebuilding its
 * indexes (binary-coercible and no narrower): varchar widening, varchar to
 * text, numeric precision widening at the same scale, cidr to inet.
 */
export function safeTypeChange(from: ColumnType, to: ColumnType): boolean {
  if (sameType(from, to)) return true;
  if (from.array !== to.array) return false;
  const unbounded = to.args.length === 0;
  const varying = from.name === 'character varying' || from.name === 'text';
  if (varying && to.name === 'text') return true;
  if (varying && to.name === 'character varying') {
    if (unbounded) return true;
    const fromLength = from.name === 'text' ? undefined : from.args[0];
    return fromLength !== undefined && (to.args[0] ?? 0) >= fromLength;
  }
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (unbounded) return true;
    const [fromPrecision, fromScale = 0] = from.args;
    const [toPrecision = 0, toScale = 0] = to.args;
    return fromPrecision !== undefined && toPrecision >= fromPrecision && toScale === fromScale;
  }
  if (from.name === 'bit varying' && to.name === 'bit varying') {
    return unbounded || (from.args[0] !== undefined && (to.args[0] ?? 0) >= from.args[0]);
  }
  return from.name === 'cidr' && to.name === 'inet';
}

/** The SQLAlchemy type expression for suggested Alembic code, when there is a well-known one. */
export function sqlalchemyType(type: ColumnType): string | undefined {
  const [first, second] = type.args;
  const base = ((): string | undefined => {
    switch (type.name) {
      case 'character varying':
        return first === undefined ? 'sa.String()' : `sa.String(length=${first})`;
      case 'character':
        return first === undefined ? 'sa.CHAR()' : `sa.CHAR(length=${first})`;
      case 'text':
        return 'sa.Text()';
      case 'integer':
        return 'sa.Integer()';
      case 'bigint':
        return 'sa.BigInteger()';
      case 'smallint':
        return 'sa.SmallInteger()';
      case 'boolean':
        return 'sa.Boolean()';
      case 'numeric':
        return first === undefined ? 'sa.Numeric()' : `sa.Numeric(precision=${first}, scale=${second ?? 0})`;
      case 'real':
        return 'sa.REAL()';
      case 'double precision':
        return 'sa.Float()';
      case 'date':
        return 'sa.Date()';
      case 'timestamp with time zone':
        return 'sa.DateTime(timezone=True)';
      case 'timestamp without time zone':
        return 'sa.DateTime()';
      case 'time without time zone':
        return 'sa.Time()';
      case 'interval':
        return 'sa.Interval()';
      case 'uuid':
        return 'postgresql.UUID()';
      case 'json':
        return 'sa.JSON()';
      case 'jsonb':
        return 'postgresql.JSONB()';
      case 'bytea':
        return 'sa.LargeBinary()';
      default:
        return undefined;
    }
  })();
  if (base === undefined) return undefined;
  return type.array ? `postgresql.ARRAY(${base})` : base;
}
