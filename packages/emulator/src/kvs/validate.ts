import { badRequest, malformed } from './errors';
import type { KvsRecord } from './store';

/** Limits the emulated KVS enforces; Forge's by default (see `kvs/README.md`). */
export interface KvsLimits {
  /** @default 500 */
  keyLength: number;
  /** JSON bytes (UTF-8) of one value. @default 245_760 (240 KiB) */
  valueBytes: number;
  /** Nesting of objects/arrays in a value; `{}` has depth 1. @default 32 */
  valueDepth: number;
  /** @default 25 */
  transactionOps: number;
  /** Request body bytes of a transaction or batch. @default 4 MiB */
  payloadBytes: number;
  /** @default 25 */
  batchItems: number;
  /** @default 10 */
  defaultPageSize: number;
  /** @default 100 */
  maxPageSize: number;
}

/** Forge's KVS limits. */
export const FORGE_KVS_LIMITS: KvsLimits = {
  keyLength: 500,
  valueBytes: 240 * 1024,
  valueDepth: 32,
  transactionOps: 25,
  payloadBytes: 4 * 1024 * 1024,
  batchItems: 25,
  defaultPageSize: 10,
  maxPageSize: 100,
};

// Copied from Forge's error documentation; without the `u` flag `\s-#` is `\s`, `-`, `#`.
const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/;

let encoder: TextEncoder | undefined; // created on first use: some test environments (jsdom) lack it at import

/** UTF-8 length of a string. */
export function byteLength(s: string): number {
  return (encoder ??= new TextEncoder()).encode(s).length;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a key; entities report an empty key as `EMPTY_KEY`, plain keys as `KEY_TOO_SHORT`. */
export function checkKey(key: unknown, limits: KvsLimits, entity = false): string {
  if (typeof key !== 'string') malformed('key must be a string');
  if (key.length === 0) {
    if (entity) badRequest('EMPTY_KEY', 'Key cannot be empty.');
    badRequest('KEY_TOO_SHORT', 'The provided key needs to be more than one character.');
  }
  if (key.length > limits.keyLength) badRequest('KEY_TOO_LONG', `The provided key has exceeded the maximum ${limits.keyLength} characters.`);
  if (!KEY_PATTERN.test(key)) badRequest('INVALID_KEY', `The provided key does not match the regex: ${String(KEY_PATTERN)}`);
  return key;
}

function tooDeep(v: unknown, remaining: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (remaining === 0) return true;
  for (const child of Object.values(v)) if (tooDeep(child, remaining - 1)) return true;
  return false;
}

/** Validates a value and returns its JSON byte size. */
export function checkValue(value: unknown, limits: KvsLimits): number {
  if (value === undefined) malformed('value is required');
  if (tooDeep(value, limits.valueDepth)) badRequest('MAX_DEPTH', `The provided value has exceeded the maximum object depth (${limits.valueDepth}) limit.`);
  const bytes = byteLength(JSON.stringify(value));
  if (bytes > limits.valueBytes) badRequest('MAX_SIZE', `The provided value has exceeded the maximum size limit (${bytes} > ${limits.valueBytes} bytes).`);
  return bytes;
}

const TTL_UNIT_MS: Record<string, number> = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 };

/** Turns `options.ttl` into an absolute expiry time in ms, or `undefined` without a TTL. */
export function expiryFrom(ttl: unknown, now: number): number | undefined {
  if (ttl === undefined || ttl === null) return undefined;
  if (!isObject(ttl)) malformed('ttl must be {value, unit}');
  const unitMs = typeof ttl.unit === 'string' ? TTL_UNIT_MS[ttl.unit] : undefined;
  if (unitMs === undefined) malformed(`ttl.unit must be one of ${Object.keys(TTL_UNIT_MS).join(', ')}`);
  if (typeof ttl.value !== 'number' || !Number.isInteger(ttl.value) || ttl.value <= 0) malformed('ttl.value must be a positive integer');
  return now + ttl.value * unitMs;
}

/** Metadata fields a request may ask for. */
export type MetadataField = 'CREATED_AT' | 'UPDATED_AT' | 'EXPIRE_TIME';

/** Reads `metadataFields` (or `returnMetadataFields`) from a request. */
export function metadataFields(v: unknown): MetadataField[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((f) => f === 'CREATED_AT' || f === 'UPDATED_AT' || f === 'EXPIRE_TIME')) {
    malformed('metadataFields must be a list of CREATED_AT, UPDATED_AT, EXPIRE_TIME');
  }
  return v as MetadataField[];
}

/** Formats an expiry like Forge's fixtures do: ISO 8601, no milliseconds when they are zero. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * A record as the wire carries it: `{key, value}` plus the requested metadata. Forge's fixtures
 * show epoch seconds for `createdAt`/`updatedAt`, so ms are truncated to seconds.
 */
export function wireRecord(key: string, r: KvsRecord, fields: readonly MetadataField[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { key, ...extra, value: r.value };
  if (fields.includes('CREATED_AT')) out.createdAt = Math.floor(r.createdAt / 1000);
  if (fields.includes('UPDATED_AT')) out.updatedAt = Math.floor(r.updatedAt / 1000);
  if (fields.includes('EXPIRE_TIME') && r.expireTime !== undefined) out.expireTime = isoTime(r.expireTime);
  return out;
}

/** True when a record's TTL has passed; expired records read as absent. */
export function isExpired(r: KvsRecord | undefined, now: number): boolean {
  return r !== undefined && r.expireTime !== undefined && r.expireTime <= now;
}
