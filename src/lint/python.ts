// Python source for suggested Alembic code.

/** A Python string literal: double-quoted, escaped (JSON's escapes are valid Python). */
export function py(value: string): string {
  return JSON.stringify(value);
}

/** A Python list of string literals: ["a", "b"]. */
export function pyList(values: readonly string[]): string {
  return `[${values.map(py).join(', ')}]`;
}
