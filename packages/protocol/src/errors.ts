/**
 * Why bgstore refused or could not finish something. Every code is documented in PROTOCOL.md.
 * - `UNKNOWN_ACTION`: the host has no action of that name (often: modules built from different versions).
 * - `INVALID_ARGS`: arguments are not a JSON array, or the action's validator refused them.
 * - `ACTION_FAILED`: the action's recipe threw; the state is unchanged.
 * - `NON_JSON_STATE`: the recipe produced a value that is not JSON (a Date, a Map, `undefined`, NaN…).
 * - `TIMEOUT`: no answer from the host in time; the action may or may not have been applied.
 * - `CLOSED`: the replica or host was closed before the action finished.
 * - `UNAUTHORIZED`: the store's `authorize` hook, or the anonymous-write rule, refused the caller.
 * - `SCHEMA_TOO_NEW`: the stored document was written by a newer `schemaVersion`; this bundle is old.
 * - `TOO_LARGE`: the document or a request exceeds what Forge storage or invoke accept.
 * - `STORAGE_FAILED`: storage kept failing; the host retries, nothing accepted is dropped.
 * - `STORAGE_BUSY`: other commits to the same document kept winning the race; the host retries soon.
 * - `RATE_LIMITED`: the installation's Forge quota is spent (429 `RATE_LIMIT_EXCEEDED`, by other pages or
 *   anyone else); the host waits for the window to reopen (`retryAfterMs` when known) and retries, keeping every unsaved action.
 * - `BAD_REQUEST`: a malformed request reached the resolver (unknown store, wrong shape).
 * - `BUILD_MISMATCH`: modules on the page run different builds of the store (an old bundle after a deploy); reload the page.
 * - `MISCONFIGURED`: storage is set up wrong (an entity or scope missing from `manifest.yml`); retrying cannot help.
 */
export type SyncErrorCode =
  | 'UNKNOWN_ACTION'
  | 'INVALID_ARGS'
  | 'ACTION_FAILED'
  | 'NON_JSON_STATE'
  | 'TIMEOUT'
  | 'CLOSED'
  | 'UNAUTHORIZED'
  | 'SCHEMA_TOO_NEW'
  | 'TOO_LARGE'
  | 'STORAGE_FAILED'
  | 'STORAGE_BUSY'
  | 'RATE_LIMITED'
  | 'BAD_REQUEST'
  | 'BUILD_MISMATCH'
  | 'MISCONFIGURED';

/** Every {@link SyncErrorCode}, for validation. */
export const SYNC_ERROR_CODES: readonly SyncErrorCode[] = [
  'UNKNOWN_ACTION',
  'INVALID_ARGS',
  'ACTION_FAILED',
  'NON_JSON_STATE',
  'TIMEOUT',
  'CLOSED',
  'UNAUTHORIZED',
  'SCHEMA_TOO_NEW',
  'TOO_LARGE',
  'STORAGE_FAILED',
  'STORAGE_BUSY',
  'RATE_LIMITED',
  'BAD_REQUEST',
  'BUILD_MISMATCH',
  'MISCONFIGURED',
];

/** Codes that retrying the same request cannot fix: a host drops the batch and shows the reason. */
export const PERMANENT_CODES: readonly SyncErrorCode[] = ['UNAUTHORIZED', 'BAD_REQUEST', 'TOO_LARGE', 'SCHEMA_TOO_NEW', 'MISCONFIGURED', 'BUILD_MISMATCH'];

/** The one error type of bgstore: a {@link SyncErrorCode}, a message that says what to do, and a cause. */
export class SyncError extends Error {
  readonly code: SyncErrorCode;
  /** With `RATE_LIMITED`: how long until the quota's window reopens, when the platform said. */
  readonly retryAfterMs?: number;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message.startsWith('[bgstore]') ? message : `[bgstore] ${message}`, options);
    this.name = 'SyncError';
    this.code = code;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** True for a {@link SyncError}, also one from another realm or bundle copy. */
export function isSyncError(value: unknown): value is SyncError {
  return value instanceof SyncError || (value instanceof Error && value.name === 'SyncError' && SYNC_ERROR_CODES.includes((value as SyncError).code));
}

/** What went wrong, as text, from anything thrown: an Error's message, else its string form. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Anything thrown as a {@link SyncError}: a SyncError (from any realm) as it is, anything else under
 * `code` with a `[bgstore]` message naming what failed (`what`) and the original as its cause.
 * @example toSyncError(error, 'STORAGE_FAILED', 'storage failed') // [bgstore] storage failed: …
 */
export function toSyncError(error: unknown, code: SyncErrorCode = 'STORAGE_FAILED', what = 'failed'): SyncError {
  return isSyncError(error) ? error : new SyncError(code, `[bgstore] ${what}: ${errorText(error)}`, { cause: error });
}
