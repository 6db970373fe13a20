import { inflateRawSync } from 'node:zlib';
import type { CommitRequest } from '@bgstore/protocol';
import type { CallerBase } from './kvs/baseRead';
import { readDoc, type ReadTiming, type StoredDoc } from './kvs/docStore';
import { withRateLimit } from './kvs/rateLimit';
import type { WarmDocuments } from './kvs/readCache';
import type { StoragePort } from './storage/port';

// Cold commits with the caller's base (#17). A function instance that keeps no copy of a document
// would read its whole state to run one action on it; the background host holds that state already.
// So a commit that offers its base (`base: true`) on such an instance is answered `sendBase`
// (nothing read, nothing committed) and comes again with the base, deflated. The base is forged
// until proven: it is used only once brought to the head's revision and its hash equals the head's
// (kvs/baseRead.ts); anything else, and it is as if none was sent — storage is read.

/** No state is larger (a document is at most 4 MB, see docWrite.ts): a base inflating past it is refused, not inflated. */
const MAX_BASE_BYTES = 4_000_000;

/** The caller's base state from its payload (deflate-raw of JSON, base64), or undefined when it does not decode within bounds. */
function decodeBase(text: string): unknown {
  try {
    const json = inflateRawSync(Buffer.from(text, 'base64'), { maxOutputLength: MAX_BASE_BYTES }).toString('utf8');
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** Cold commits with the caller's base, over the KVS documents `warm` keeps. */
export interface ColdBases {
  /** Whether a commit offering its base should be answered `sendBase`: this instance keeps no copy of the document at `key`. */
  wants(key: string): boolean;
  /** `storage`, whose first read of `key` for this commit uses the request's base (when it sent one that decodes). */
  storageFor(storage: StoragePort<StoredDoc>, key: string, request: Pick<CommitRequest, 'baseRevision' | 'doc' | 'base'>): StoragePort<StoredDoc>;
}

/** Cold commits with the caller's base for the KVS backend: `warm` is what its reads keep, `timing` how they retry. */
export function createColdBases(warm: WarmDocuments, timing: ReadTiming): ColdBases {
  return {
    wants: (key) => !warm.has(key),
    storageFor(storage, key, request) {
      const state = typeof request.base === 'string' ? decodeBase(request.base) : undefined;
      if (state === undefined) return storage;
      const base: CallerBase = { revision: request.baseRevision, state, ...(request.doc === undefined ? {} : { doc: request.doc }) };
      // Only the commit's first read: after a lost race it reads what changed since that one.
      return { ...storage, read: (k, previous) => (previous || k !== key ? storage.read(k, previous) : withRateLimit(() => readDoc(k, undefined, warm, timing, base))) };
    },
  };
}
