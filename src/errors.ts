// Errors that end a run with exit code 2 and a one-paragraph message (no
// stack trace unless --verbose): bad input or missing infrastructure. Any
// other exception is a bug in the tool and is reported as such.

export type UsageErrorKind = 'usage' | 'project' | 'python' | 'database' | 'git' | 'graph' | 'migration-env';

export class UsageError extends Error {
  readonly kind: UsageErrorKind;
  /** Extra lines (e.g. the child's stderr) shown only with --verbose. */
  readonly detail: string | undefined;

  constructor(kind: UsageErrorKind, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UsageError';
    this.kind = kind;
    this.detail = options?.detail;
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
