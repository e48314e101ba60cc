// Small wording helpers shared by the renderers.
import type { Severity } from '../model.ts';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The first `shown` items, then "…" when there are more: "a, b, c, …". */
export function firstFew(items: readonly string[], shown: number): string {
  return `${items.slice(0, shown).join(', ')}${items.length > shown ? ', …' : ''}`;
}

/** "850 ms", "1.2 s", "2 min 5 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

export const SEVERITY_ICON: Record<Severity, string> = { error: '🛑', warning: '⚠️', notice: 'ℹ️' };

/** "2 errors, 1 warning, 0 notices" */
export function counts(summary: { errors: number; warnings: number; notices: number }): string {
  return `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ${plural(summary.notices, 'notice')}`;
}
