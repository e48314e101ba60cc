// What every condition module asks of its case: its own spec, its column.
import type { DataCondition } from '../../../model.ts';
import type { CaseSpec, DataCase } from '../types.ts';

/** The case's spec, for the condition the module handles (anything else is a bug). */
export function specOf<C extends DataCondition>(
  dataCase: DataCase,
  condition: C,
): Extract<CaseSpec, { condition: C }> {
  const spec = dataCase.spec;
  if (spec.condition !== condition) throw new Error(`not a ${condition} case: ${spec.condition}`);
  return spec as Extract<CaseSpec, { condition: C }>;
}

/** The one column a single-column condition is about. */
export function columnOf(dataCase: DataCase): string {
  return dataCase.columns[0]?.name ?? '';
}
