// @bgstore/protocol — the wire protocol (PROTOCOL.md): messages, decoding, chunking, errors.
export { createReassembler, encodeFrames } from './chunk';
export type { Frame, Reassembler } from './chunk';
export { decodeMessage } from './decode';
export { compareEpochs, createEpoch, isPlausibleEpoch } from './epoch';
export type { Decoded, IgnoreReason } from './decode';
export { errorText, isSyncError, PERMANENT_CODES, SYNC_ERROR_CODES, SyncError, toSyncError } from './errors';
export { isSeq } from './schema';
export { cutRefusal, digest, INTENT_BYTES, isId, jsonBytes, LIMITS, PATCH_SPAN, utf8Bytes } from './vocabulary';
export type { ClientRecord, Intent, Outcome, Refusal, StoredIntent } from './vocabulary';
export type { SyncErrorCode } from './errors';
export { findNonJson, isJson } from './json';
export type { JsonValue } from './json';
export { downEvent, inboxEvent, PROTOCOL_VERSION, upEvent } from './messages';
export { encodeMessage } from './wire';
export { REPLICA_RETRY_POLICIES, RETRY_POLICIES, retryDelay } from './retry';
export type { RandomSource, RetryPolicy } from './retry';
export type { WireMessage } from './wire';
export { isChanges, isResolverError, RESOLVER_FUNCTIONS } from './resolverApi';
export type { BaseWanted, ChangesResponse, CommitRequest, CommitResponse, LoadRequest, LoadResponse, RealtimeChange, RealtimeGrant, ResolverError, RevisionRequest, RevisionResponse, StoredClient, SyncResponse } from './resolverApi';
export type {
  AckMessage,
  BeatMessage,
  ChunkMessage,
  DownMessage,
  DurableStatus,
  Envelope,
  HelloMessage,
  IntentsMessage,
  Message,
  PatchMessage,
  RejectMessage,
  SnapshotMessage,
  StatusMessage,
  UpMessage,
  WireIntent,
  WirePatch,
} from './messages';
