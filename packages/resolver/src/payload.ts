import { isId, isSeq, jsonBytes, LIMITS, SYNC_ERROR_CODES, SyncError, type CommitRequest, type Outcome, type ResolverError, type StoredIntent } from '@bgstore/protocol';
import { cutRefusal } from '@bgstore/protocol';

// What a payload may hold, checked before anything is read or written. Everything in it may be
// forged: a bad payload is refused with a clear answer, never a crash.

/** An answer refusing the request (every message starts with `[bgstore]`). */
export const fail = (code: ResolverError['error']['code'], message: string): ResolverError => ({ error: { code, message: message.startsWith('[bgstore]') ? message : `[bgstore] ${message}` } });

/** A plain object (not an array, not null). */
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The payload as an object within `maxPayload` bytes of JSON, naming one of `stores`; else why not.
 */
export function checkPayload<D>(payload: unknown, stores: ReadonlyMap<string, D>, maxPayload: number): { payload: Record<string, unknown>; definition: D } | ResolverError {
  if (!isObj(payload)) return fail('BAD_REQUEST', 'the payload must be an object');
  let bytes: number;
  try {
    bytes = jsonBytes(payload);
  } catch {
    return fail('BAD_REQUEST', 'the payload is not JSON');
  }
  if (bytes > maxPayload) return fail('TOO_LARGE', `the payload is ${bytes} bytes, over ${maxPayload}; the host sends smaller batches`);
  const definition = typeof payload.store === 'string' && stores.has(payload.store) ? stores.get(payload.store) : undefined;
  if (!definition) return fail('BAD_REQUEST', `unknown store ${JSON.stringify(payload.store)?.slice(0, 80)}; registered: ${[...stores.keys()].join(', ')}`);
  return { payload, definition };
}

/** A commit's `baseRevision`. @throws SyncError `BAD_REQUEST` unless a non-negative integer */
export function parseBaseRevision(raw: unknown): number {
  if (!Number.isSafeInteger(raw) || (raw as number) < 0) throw new SyncError('BAD_REQUEST', '[bgstore] baseRevision must be a non-negative integer');
  return raw as number;
}

/** A load's `since`: absent, or the revision the caller holds. @throws SyncError `BAD_REQUEST` unless absent or a non-negative integer */
export function parseSince(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (!Number.isSafeInteger(raw) || (raw as number) < 0) throw new SyncError('BAD_REQUEST', '[bgstore] since must be a non-negative integer');
  return raw as number;
}

/**
 * Reads a commit's intents. Each is judged alone: a malformed one is refused (`BAD_REQUEST`) by its
 * own outcome, the others go on. Only a payload that is not a list at all is refused whole.
 */
export function parseIntents(raw: unknown, max: number): { intents: StoredIntent[]; refused: Outcome[] } {
  if (!Array.isArray(raw)) throw new SyncError('BAD_REQUEST', 'intents must be an array');
  if (raw.length > max) throw new SyncError('TOO_LARGE', `at most ${max} intents per commit, got ${raw.length}`);
  const intents: StoredIntent[] = [];
  const refused: Outcome[] = [];
  raw.forEach((i, n) => {
    if (!isObj(i) || typeof i.clientId !== 'string' || !isSeq(i.seq)) throw new SyncError('BAD_REQUEST', `intents[${n}] must have a string clientId and a positive integer seq`);
    const shape = isId(i.clientId) && typeof i.name === 'string' && i.name.length <= LIMITS.actionName && Array.isArray(i.args);
    if (!shape) return void refused.push({ clientId: i.clientId.slice(0, LIMITS.idLength), seq: i.seq, ok: false, code: 'BAD_REQUEST', message: `[bgstore] intents[${n}] must be {clientId (1–${LIMITS.idLength} url-safe characters), seq, name, args[]}` });
    const intent: StoredIntent = { clientId: i.clientId, seq: i.seq, name: i.name as string, args: i.args as unknown[] };
    if (i.refused !== undefined) {
      // A host's own refusal is recorded as told, but only with a known code and a bounded message.
      const r = isObj(i.refused) ? i.refused : {};
      const code = (SYNC_ERROR_CODES as readonly unknown[]).includes(r.code) ? (r.code as StoredIntent['refused'] & object)['code'] : 'BAD_REQUEST';
      intent.refused = { code, message: cutRefusal(typeof r.message === 'string' ? r.message : 'refused by the host') };
      intent.args = [];
    }
    intents.push(intent);
  });
  return { intents, refused };
}

/** A commit's floors: `[clientId, floor]` pairs, malformed ones ignored, at most 1,000. */
export function parseFloors(raw: unknown): [string, number][] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((f): f is [string, number] => Array.isArray(f) && isId(f[0]) && Number.isSafeInteger(f[1]) && f[1] >= 0).slice(0, 1000);
}

/**
 * A commit request read from its payload: every field of {@link CommitRequest} parsed, typed
 * `Required<CommitRequest>` as forge sends it, so a field the protocol adds and this does not read
 * (as `floors` once went unsent) is a compile error. Malformed intents come back refused.
 * @throws SyncError `BAD_REQUEST` / `TOO_LARGE` for a request that cannot be read at all
 */
export function parseCommitRequest(payload: Record<string, unknown>, store: string, maxIntents: number): { request: Required<Omit<CommitRequest, 'doc' | 'base'>> & Pick<CommitRequest, 'doc' | 'base'>; refused: Outcome[] } {
  const baseRevision = parseBaseRevision(payload.baseRevision);
  const { intents, refused } = parseIntents(payload.intents, maxIntents);
  // `doc` is the caller's word for which document its base came from: it only ever narrows what is answered.
  const doc = typeof payload.doc === 'string' ? { doc: payload.doc } : {};
  // `base` is an offer (`true`) or the caller's state, forged until its hash checks out (coldBase.ts).
  const base = payload.base === true || typeof payload.base === 'string' ? { base: payload.base as true | string } : {};
  return { request: { store, baseRevision, intents, floors: parseFloors(payload.floors), patches: payload.patches === true, ...doc, ...base }, refused };
}
