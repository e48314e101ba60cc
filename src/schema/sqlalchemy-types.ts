// PostgreSQL column types (as format_type spells them) rendered as the
// SQLAlchemy type expressions a revision file uses, the way autogenerate
// writes them: "character varying(100)" -> sa.String(length=100). Only
// constructors that exist in both SQLAlchemy 1.4 and 2.x. A type with no
// SQLAlchemy spelling (xml, an extension's type, ...) renders as null and the
// fix falls back to plain SQL.
import { py } from './literals.ts';
import type { EnumType } from './types.ts';

export interface ColumnType {
  /** format_type text. */
  type: string;
  collation: string | null;
}

type Renderer = (match: RegExpMatchArray, collation: string | null) => string;

const withCollation = (args: string[], collation: string | null): string =>
  [...args, ...(collation === null ? [] : [`collation=${py(collation)}`])].join(', ');

const SCALARS: [RegExp, Renderer][] = [
  [
    /^character varying(?:\((\d+)\))?$/,
    (m, c) => `sa.String(${withCollation(m[1] ? [`length=${m[1]}`] : [], c)})`,
  ],
  [/^character(?:\((\d+)\))?$/, (m, c) => `sa.CHAR(${withCollation(m[1] ? [`length=${m[1]}`] : [], c)})`],
  [/^bpchar$/, (_m, c) => `sa.CHAR(${withCollation([], c)})`],
  [/^text$/, (_m, c) => `sa.Text(${withCollation([], c)})`],
  [/^integer$/, () => 'sa.Integer()'],
  [/^bigint$/, () => 'sa.BigInteger()'],
  [/^smallint$/, () => 'sa.SmallInteger()'],
  [/^boolean$/, () => 'sa.Boolean()'],
  [/^numeric\((\d+),(\d+)\)$/, (m) => `sa.Numeric(precision=${m[1] ?? ''}, scale=${m[2] ?? ''})`],
  [/^numeric$/, () => 'sa.Numeric()'],
  [/^real$/, () => 'sa.REAL()'],
  [/^double precision$/, () => 'postgresql.DOUBLE_PRECISION()'],
  [/^date$/, () => 'sa.Date()'],
  [
    /^timestamp(?:\((\d+)\))? with(out)? time zone$/,
    (m) =>
      m[1] === undefined
        ? `sa.DateTime(${m[2] === undefined ? 'timezone=True' : ''})`
        : `postgresql.TIMESTAMP(timezone=${m[2] === undefined ? 'True' : 'False'}, precision=${m[1]})`,
  ],
  [
    /^time(?:\((\d+)\))? with(out)? time zone$/,
    (m) =>
      m[1] === undefined
        ? `sa.Time(${m[2] === undefined ? 'timezone=True' : ''})`
        : `postgresql.TIME(timezone=${m[2] === undefined ? 'True' : 'False'}, precision=${m[1]})`,
  ],
  [/^interval$/, () => 'postgresql.INTERVAL()'],
  [/^interval\((\d+)\)$/, (m) => `postgresql.INTERVAL(precision=${m[1] ?? ''})`],
  [/^interval ([a-z ]+)$/, (m) => `postgresql.INTERVAL(fields=${py(m[1] ?? '')})`],
  [/^uuid$/, () => 'postgresql.UUID()'],
  [/^json$/, () => 'postgresql.JSON()'],
  [/^jsonb$/, () => 'postgresql.JSONB()'],
  [/^bytea$/, () => 'postgresql.BYTEA()'],
  [/^inet$/, () => 'postgresql.INET()'],
  [/^cidr$/, () => 'postgresql.CIDR()'],
  [/^macaddr$/, () => 'postgresql.MACADDR()'],
  [/^money$/, () => 'postgresql.MONEY()'],
  [/^tsvector$/, () => 'postgresql.TSVECTOR()'],
  [/^(int4|int8|num|date|ts|tstz)range$/, (m) => `postgresql.${(m[1] ?? '').toUpperCase()}RANGE()`],
  [/^bit\((\d+)\)$/, (m) => `postgresql.BIT(${m[1] ?? ''})`],
  [/^bit varying(?:\((\d+)\))?$/, (m) => `postgresql.BIT(${m[1] ? `${m[1]}, ` : ''}varying=True)`],
];

/** postgresql.ENUM of an existing type: the type itself is created and dropped by the enum fixes. */
export function renderEnum(enumType: EnumType): string {
  const schema = enumType.schema === 'public' ? '' : `, schema=${py(enumType.schema)}`;
  return `postgresql.ENUM(${[...enumType.labels.map(py), `name=${py(enumType.name)}`].join(', ')}${schema}, create_type=False)`;
}

/**
 * The SQLAlchemy expression for a column type, or null when SQLAlchemy has
 * no constructor for it. `enumType` is the column's enum (of its elements for
 * an array), when it has one.
 */
export function renderType(column: ColumnType, enumType: EnumType | null): string | null {
  const array = /^(.*?)((?:\[\])+)$/.exec(column.type);
  const base = array?.[1] ?? column.type;
  const element = enumType === null ? renderScalar(base, column.collation) : renderEnum(enumType);
  if (element === null) return null;
  return array === null ? element : `postgresql.ARRAY(${element})`;
}

function renderScalar(type: string, collation: string | null): string | null {
  for (const [pattern, render] of SCALARS) {
    const match = pattern.exec(type);
    if (match !== null) return render(match, collation);
  }
  return null;
}

/** The type name without modifiers: whether changing between two types needs a USING cast. */
export function baseTypeName(type: string): string {
  return type.replace(/\(\d+(,\d+)?\)/g, '');
}
