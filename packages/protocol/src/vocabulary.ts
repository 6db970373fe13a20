// The words every package uses for an action call on its way to storage and back. One type each:
// an intent, a refusal, an outcome, a client record. PROTOCOL.md §Vocabulary.
import type { SyncErrorCode } from './errors';

/** One action call: who sent it (`clientId`), its number (`seq`, from 1, per client), the action and its arguments. */
export interface Intent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
}

/** Why an intent changed nothing. */
export interface Refusal {
  code: SyncErrorCode;
  message: string;
}

/**
 * An intent on its way to storage; `refused` when the host already refused it (storage only records
 * that). `caller` is the account that called it, set by the resolver from Forge's context (never
 * from the payload) and kept with the intent, so whoever re-runs it gives the action the same caller
 * (`null`: an anonymous viewer).
 */
export interface StoredIntent extends Intent {
  refused?: Refusal;
  caller?: string | null;
}

/** What became of one intent: applied, or refused with a reason; `duplicate` when storage already had it. */
export type Outcome = { clientId: string; seq: number; duplicate?: true } & ({ ok: true } | ({ ok: false } & Refusal));

/**
 * What is remembered of one client so none of its intents applies twice: every seq ≤ `floor` is
 * done, and so is each of `seqs` (all above `floor`); `rejected` keeps recent refusals with their
 * reason; `seen` is when the client last committed (ms).
 */
export interface ClientRecord {
  floor: number;
  seqs: number[];
  rejected: [seq: number, code: string, message: string][];
  seen: number;
}

// The limits a page's replica checks are constants of their own as well: the code on a feed's path
// reads those, so a feed's bundle leaves the rest of LIMITS (the host's and the resolver's) out.
/** A client id or an epoch, in characters (`LIMITS.idLength`). */
export const ID_LENGTH = 64;
/** An action name, in characters (`LIMITS.actionName`). */
export const ACTION_NAME_LENGTH = 128;
/** One intent's JSON: it must fit a commit alone (`LIMITS.intentBytes`). */
export const INTENT_BYTES = 400_000;
/** Versions one patch may span: a host's catch-up covers at most this many, its log keeps fewer (`LIMITS.patchSpan`). */
export const PATCH_SPAN = 1024;

/**
 * bgstore's limits, defined once: peers, hosts and the resolver check the same numbers.
 * Sizes are UTF-8 bytes of JSON unless said otherwise.
 */
export const LIMITS = {
  /** A client id or an epoch, in characters. */
  idLength: ID_LENGTH,
  /** An action name, in characters. */
  actionName: ACTION_NAME_LENGTH,
  /** A refusal's message, in characters (longer ones are cut). */
  refusalMessage: 160,
  /** invoke's request limit (Forge); a commit request stays under `commitBytes`. */
  invokeBytes: 500_000,
  /** A commit request's JSON, leaving room for invoke's own envelope. */
  commitBytes: 450_000,
  /** One intent's JSON: it must fit a commit alone. */
  intentBytes: INTENT_BYTES,
  /** Gapped seqs remembered per client above its floor; more are refused until the gap closes. */
  gapSeqs: 64,
  /** Refusals remembered per client. */
  rejectedPerClient: 16,
  /** Client records kept per caller (account, or anonymous page); the least recently seen of a caller's own go first. */
  clientsPerCaller: 32,
  /** Bytes of client records kept per caller (about): past it the caller's own least recently seen go first. */
  callerBytes: 24_000,
  /** Client records kept per document, of every caller; past it new callers are refused, never others forgotten. */
  clientsPerDoc: 20_000,
  /** The client table's JSON, at most: past it new clients are refused (anonymous ones' records go first). */
  clientTableBytes: 1_000_000,
  /**
   * A client record unseen this long (ms: 30 days) may be forgotten: no host retries that long. A
   * literal: the product a build folds it to (`720 * 3600 * 1e3`) kept all of LIMITS in every bundle.
   */
  clientTtlMs: 2_592_000_000,
  /** Versions one patch may span (a host's catch-up covers at most this many; its log keeps fewer). */
  patchSpan: PATCH_SPAN,
  /** How far a client's seq may run ahead of the highest one seen. */
  seqJump: 100_000,
} as const;

/** True when `id` may name a client or a host: 1–64 url-safe characters or `.`. */
export const isId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= ID_LENGTH && /^[A-Za-z0-9_.-]+$/.test(id) && id !== '__proto__';

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** UTF-8 bytes of a value's JSON. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/**
 * A short, stable digest of a string (FNV-1a, 32 bits, base 36). Not cryptographic: it tells builds
 * and states apart, it does not authenticate them.
 */
export function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/** A refusal's message, cut to what a client table keeps (`LIMITS.refusalMessage`). */
export const cutRefusal = (message: string): string => (message.length > LIMITS.refusalMessage ? `${message.slice(0, LIMITS.refusalMessage - 1)}…` : message);
