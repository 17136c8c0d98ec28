/**
 * A deployment file that cannot be read or parsed. Checks that need the file turn it into an
 * `error` result that names the place; checks that do not need it never see it.
 */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly col?: number,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }

  /** `file:line:col` as editors and terminals link it. */
  get where(): string {
    return [this.file, this.line, this.line === undefined ? undefined : this.col].filter((p) => p !== undefined).join(':');
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
