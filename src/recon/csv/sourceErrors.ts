// The errors of a CSV source, each with a `code` the API edge recognises (src/api/app.ts answers
// them 503 with the message, which names the file and what to do):
//   SOURCE_UNAVAILABLE  the file cannot be opened or read;
//   SOURCE_INVALID      it cannot be used at all (no header, no uid column, …);
//   SOURCE_CHANGED      it changed while it was read (a partial read must not pass for the source).

/** Error for an unreadable source file; `code` is 'SOURCE_UNAVAILABLE'. */
export function sourceUnavailable(file: string, cause: unknown): Error & { code: string } {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(`CSV source ${file} is unavailable: ${reason}`) as Error & { code: string; cause?: unknown };
  err.code = 'SOURCE_UNAVAILABLE';
  err.cause = cause;
  return err;
}

/** Error for a file that changed while it was read (a partial read must not pass for the source); code 'SOURCE_CHANGED'. */
export function sourceChanged(file: string, what: string): Error & { code: string } {
  const err = new Error(
    `CSV source ${file} changed while it was being read (${what}); the read stopped so that part of a file is not taken for the whole source. ` +
      'Run again once the file is complete (replace it by a rename, between runs).',
  ) as Error & { code: string };
  err.code = 'SOURCE_CHANGED';
  return err;
}

/** Error for a file that cannot be used at all (no header, no uid column...); `code` is 'SOURCE_INVALID'. */
export function sourceInvalid(file: string, message: string): Error & { code: string } {
  const err = new Error(`CSV source ${file}: ${message}`) as Error & { code: string };
  err.code = 'SOURCE_INVALID';
  return err;
}
