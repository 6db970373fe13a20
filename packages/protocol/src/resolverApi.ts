import type { SyncErrorCode } from './errors';
import type { WirePatch } from './messages';
import type { ClientRecord, Outcome, StoredIntent } from './vocabulary';

/** The resolver function keys bgstore defines (`registerStores`) and calls (`startHost`). */
export const RESOLVER_FUNCTIONS = {
  load: 'bgstore.load',
  commit: 'bgstore.commit',
  revision: 'bgstore.revision',
} as const;

/** How the resolver reports a failure: never an exception, always this. */
export interface ResolverError {
  /** `retryAfterMs` (with `RATE_LIMITED`): how long until the quota's window reopens, when storage said. */
  error: { code: SyncErrorCode; message: string; retryAfterMs?: number };
}

/** What storage remembers per client (the caller's own clients only). */
export type StoredClient = ClientRecord;

export interface LoadRequest {
  store: string;
  /**
   * The revision whose state the caller holds. With it, the answer is only what changed since
   * ({@link ChangesResponse}; no patches when nothing did) whenever storage still has those changes,
   * and the whole document otherwise: the revision check and the reload are one call.
   */
  since?: number;
  /** With `since`: the stored document's id the caller's revision belongs to (`LoadResponse.doc`); changes are answered only for the same document. */
  doc?: string;
  /** Ask for a subscribe-only Realtime grant for the document's channel ({@link RealtimeGrant}). */
  realtime?: boolean;
}

/** A subscribe-only Realtime token for one document's channel, on which the resolver publishes each commit's {@link RealtimeChange}. */
export interface RealtimeGrant {
  /** The global channel (`realtime.subscribeGlobal(channel, onEvent, { token })`). */
  channel: string;
  token: string;
  /** When the token stops being accepted for new subscriptions, ms since the epoch (storage's clock). */
  expiresAt: number;
}

/** The whole stored document. */
export interface LoadResponse {
  revision: number;
  schemaVersion: number;
  state: unknown;
  clients: Record<string, StoredClient>;
  /** The stored document's id: a document deleted and stored again gets another, so revisions of the old one are never taken for its. */
  doc?: string;
  realtime?: RealtimeGrant;
}

/** What changed since the caller's revision (`since`): patches taking that state to `revision`'s. */
export interface ChangesResponse {
  since: number;
  revision: number;
  /** Empty when `revision === since` (nothing changed). */
  patches: WirePatch[];
  /** The caller's own client records that changed since (absent: none), and those that went. */
  clients?: Record<string, StoredClient>;
  clientsRemoved?: string[];
  doc?: string;
  realtime?: RealtimeGrant;
}

/** What `bgstore.load` answers: the changes since the caller's revision when it named one and storage has them, else the whole document. */
export type SyncResponse = LoadResponse | ChangesResponse;

/** True when a load answer is changes since the caller's revision, not the whole document. */
export function isChanges(answer: SyncResponse): answer is ChangesResponse {
  return Array.isArray((answer as ChangesResponse).patches) && typeof (answer as ChangesResponse).since === 'number';
}

/**
 * What the resolver publishes on a document's Realtime channel after each commit. Pages apply it
 * only on top of exactly `base` (their durable revision); otherwise they ask for the changes since.
 * Without `patches` (the change was too large to publish) it says only that `revision` exists.
 */
export interface RealtimeChange {
  v: 1;
  store: string;
  base: number;
  revision: number;
  patches?: WirePatch[];
  /**
   * Publishes are coalesced (#17): one may carry several commits. Each `[revision, offset]` says the
   * patches from `offset` on take revision `revision`'s state to `revision`'s above, for a page that
   * holds a revision between `base` and `revision`.
   */
  marks?: [revision: number, offset: number][];
}

export interface CommitRequest {
  store: string;
  baseRevision: number;
  intents: StoredIntent[];
  /** Per client of this caller: every seq ≤ floor has settled at the client, so gaps below it close. */
  floors?: [clientId: string, floor: number][];
  /** The caller applies `patches` on its base: answer what it lacks as patches when storage has them (else, or without this, the state). */
  patches?: boolean;
  /** The stored document's id `baseRevision` belongs to; patches are answered only for the same document. */
  doc?: string;
  /**
   * `true`: the caller can send its state at `baseRevision` if the resolver would otherwise read the
   * whole state ({@link BaseWanted}). A string: that state, JSON deflated (raw) and base64'd, which the
   * resolver uses only once its hash matches storage's (#17).
   */
  base?: true | string;
}
/** `bgstore.commit`'s answer to a request offering its base (`base: true`) on an instance that keeps no copy of the state: nothing was committed; send the same request with `base` (#17). */
export interface BaseWanted {
  sendBase: true;
}
export interface CommitResponse {
  revision: number;
  outcomes: Outcome[];
  /** The stored state whole, when it is not `baseRevision`'s state with the batch applied and the changes since `baseRevision` could not be had. */
  state?: unknown;
  /**
   * Instead of `state`, to a caller that asked (`CommitRequest.patches`): patches taking
   * `baseRevision`'s state to the stored one (others' commits since, and this batch as stored). Absent with `state` absent: the state is `baseRevision`'s
   * with the batch applied.
   */
  patches?: WirePatch[];
  /** The stored document's id (see `LoadResponse.doc`). */
  doc?: string;
  /**
   * The widest gap (ms) the caller need keep between its commits while others write, when storage's
   * request quota allows more commits than the host's `maxCommitGapMs` lets it make (#19: a Forge
   * SQL document, by how many writers it has). Hosts widen their gap up to this instead; absent
   * (the KVS default): up to `maxCommitGapMs`.
   */
  gapMs?: number;
}

export interface RevisionRequest {
  store: string;
  /**
   * The caller committed this revision and heard no publish of it (#17): publish the changes since
   * `heard` (the last revision the caller heard published) unless a later publish covers them.
   */
  publish?: number;
  heard?: number;
}
export interface RevisionResponse {
  revision: number;
}

/** True when a resolver answer is a `{error}`. */
export function isResolverError(value: unknown): value is ResolverError {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as ResolverError).error?.code === 'string';
}
