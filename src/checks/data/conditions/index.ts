// The condition modules, one per way existing rows break a statement.
import type { DataCondition } from '../../../model.ts';
import type { ConditionModule } from '../types.ts';
import checkViolation from './check-violation.ts';
import duplicates from './duplicates.ts';
import enumValueInUse from './enum-value-in-use.ts';
import notCastable from './not-castable.ts';
import nulls from './nulls.ts';
import orphans from './orphans.ts';
import tooLong from './too-long.ts';

const MODULES: { [C in DataCondition]: ConditionModule<C> } = {
  duplicates,
  orphans,
  nulls,
  'too-long': tooLong,
  'not-castable': notCastable,
  'check-violation': checkViolation,
  'enum-value-in-use': enumValueInUse,
};

export function conditionModule(condition: DataCondition): ConditionModule {
  return MODULES[condition];
}
