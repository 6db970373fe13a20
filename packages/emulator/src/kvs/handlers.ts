import { decodeCursor, encodeCursor } from './cursor';
import { checkEntityValue, queryEntity, resolveEntity, type Entity } from './entities';
import { badRequest, keyNotFound, KvsServiceError, malformed } from './errors';
import type { KvsBackend, KvsNamespace, KvsOp, KvsRecord } from './store';
import { checkKey, checkValue, expiryFrom, isExpired, isObject, metadataFields, wireRecord, type KvsLimits } from './validate';

/** What one handler may use; built per request by the router. */
export interface HandlerContext {
  backend: KvsBackend;
  now: number;
  limits: KvsLimits;
  entities: Map<string, Entity>;
  /** UTF-8 bytes of the request body. */
  bodyBytes: number;
  /** Applies ops atomically and counts them as one write request of `valueBytes`. */
  commit(ops: KvsOp[], valueBytes: number): void;
  /** Counts a read request. */
  read(): void;
}

/** A successful answer; errors are thrown as `KvsServiceError`. */
export interface HandlerResult {
  status: number;
  body?: unknown;
}

/** A route: request body (parsed JSON) in, result out. */
export type Handler = (body: unknown, ctx: HandlerContext) => HandlerResult;

/** Which key space a request addresses. */
export type Space = 'kv' | 'secret' | 'entity';

/** Where a key lives: its namespace and, for custom entities, the entity. */
export interface Address {
  namespace: KvsNamespace;
  key: string;
  entity?: Entity;
}

/** Resolves and validates the address of a request or item. */
export function address(ctx: HandlerContext, space: Space, entityName: unknown, key: unknown): Address {
  if (space === 'entity' || (space === 'kv' && entityName !== undefined && entityName !== null)) {
    const entity = resolveEntity(ctx.entities, entityName);
    return { namespace: `entity:${entity.name}`, key: checkKey(key, ctx.limits, true), entity };
  }
  return { namespace: space, key: checkKey(key, ctx.limits) };
}

/** The live (non-expired) record at an address. */
export function live(ctx: HandlerContext, a: Address): KvsRecord | undefined {
  const r = ctx.backend.get(a.namespace, a.key);
  return r && !isExpired(r, ctx.now) ? r : undefined;
}

/** Validates a value to write at `a` and builds its record; returns the record and its JSON bytes. */
export function buildRecord(ctx: HandlerContext, a: Address, value: unknown, options: unknown, previous: KvsRecord | undefined): { record: KvsRecord; bytes: number } {
  const bytes = checkValue(value, ctx.limits);
  if (a.entity) checkEntityValue(a.entity, value);
  const expireTime = expiryFrom(isObject(options) ? options.ttl : undefined, ctx.now);
  const record: KvsRecord = { value, createdAt: previous?.createdAt ?? ctx.now, updatedAt: ctx.now };
  if (expireTime !== undefined) record.expireTime = expireTime;
  return { record, bytes };
}

/** The request body as an object, or a 400 `BAD_REQUEST`. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (!isObject(body)) malformed('expected a JSON object');
  return body;
}

function getOptions(body: Record<string, unknown>) {
  if (body.options !== undefined && !isObject(body.options)) malformed('options must be an object');
  return metadataFields(body.options?.metadataFields);
}

function get(space: Space): Handler {
  return (raw, ctx) => {
    const body = objectBody(raw);
    const a = address(ctx, space, body.entityName, body.key);
    const fields = getOptions(body);
    ctx.read();
    const r = live(ctx, a);
    if (!r) throw keyNotFound();
    return { status: 200, body: wireRecord(a.key, r, fields) };
  };
}

function set(space: Space): Handler {
  return (raw, ctx) => {
    const body = objectBody(raw);
    const a = address(ctx, space, body.entityName, body.key);
    const options = body.options ?? {};
    if (!isObject(options)) malformed('options must be an object');
    const { keyPolicy, returnValue } = options;
    if (keyPolicy !== undefined && keyPolicy !== 'OVERRIDE' && keyPolicy !== 'FAIL_IF_EXISTS') malformed('keyPolicy must be OVERRIDE or FAIL_IF_EXISTS');
    if (returnValue !== undefined && returnValue !== 'PREVIOUS' && returnValue !== 'LATEST') malformed('returnValue must be PREVIOUS or LATEST');
    if (returnValue !== undefined && keyPolicy !== 'OVERRIDE') {
      badRequest('INVALID_KEY_POLICY_RETURN_VALUE_COMBINATION', 'returnValue can only be used with keyPolicy OVERRIDE.');
    }
    const returnFields = metadataFields(options.returnMetadataFields);
    const previous = live(ctx, a);
    const { record, bytes } = buildRecord(ctx, a, body.value, options, previous);
    if (keyPolicy === 'FAIL_IF_EXISTS' && previous) throw new KvsServiceError(409, 'KEY_CONFLICT', 'The provided key already exists.');
    ctx.commit([{ type: 'put', namespace: a.namespace, key: a.key, record }], bytes);
    if (returnValue === 'LATEST') return { status: 200, body: wireRecord(a.key, record, returnFields) };
    if (returnValue === 'PREVIOUS' && previous) return { status: 200, body: wireRecord(a.key, previous, returnFields) };
    return { status: 204 };
  };
}

function del(space: Space): Handler {
  return (raw, ctx) => {
    const body = objectBody(raw);
    const a = address(ctx, space, body.entityName, body.key);
    if (!live(ctx, a)) throw keyNotFound();
    ctx.commit([{ type: 'delete', namespace: a.namespace, key: a.key }], 0);
    return { status: 204 };
  };
}

const query: Handler = (raw, ctx) => {
  const body = objectBody(raw);
  let prefix = '';
  if (body.where !== undefined) {
    if (!Array.isArray(body.where) || body.where.length !== 1) badRequest('QUERY_WHERE_INVALID', 'KVS queries should contain only a single "where" clause.');
    const where: unknown = body.where[0];
    if (!isObject(where)) malformed('where must hold {property, condition, values}');
    if (where.property !== 'key') badRequest('QUERY_WHERE_FIELD_INVALID', 'The specified field is not supported for filters.');
    if (where.condition !== 'BEGINS_WITH') badRequest('INVALID_FILTER_CONDITION', 'The specified condition is not supported for filters.');
    const values = where.values;
    if (!Array.isArray(values) || values.length !== 1 || (typeof values[0] !== 'string' && typeof values[0] !== 'number')) {
      badRequest('INVALID_FILTER_VALUES', 'The specified number of values are not supported by the given condition.');
    }
    prefix = String(values[0]);
  }
  const limit = body.limit ?? ctx.limits.defaultPageSize;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) malformed('limit must be a positive integer');
  if (limit > ctx.limits.maxPageSize) badRequest('LIST_QUERY_LIMIT_EXCEEDED', `Limit for list query should be at most ${ctx.limits.maxPageSize}.`);
  let after: string | undefined;
  if (body.after !== undefined && body.after !== null) {
    const c = decodeCursor(body.after);
    if (typeof c !== 'string') malformed('cursor is not one this service issued');
    after = c;
  }
  const fields = getOptions(body);
  ctx.read();
  const rows = ctx.backend.list('kv', prefix).filter((e) => !isExpired(e.record, ctx.now) && (after === undefined || e.key > after));
  const page = rows.slice(0, limit);
  const data = page.map((e) => wireRecord(e.key, e.record, fields));
  const last = page[page.length - 1];
  return { status: 200, body: rows.length > limit && last ? { data, cursor: encodeCursor(last.key) } : { data } };
};

const entityQuery: Handler = (raw, ctx) => {
  const body = objectBody(raw);
  const entity = resolveEntity(ctx.entities, body.entityName);
  ctx.read();
  return { status: 200, body: queryEntity(entity, body, ctx.backend.list(`entity:${entity.name}`), ctx.now, ctx.limits) };
};

/** Routes for single keys and queries. */
export const SINGLE_ROUTES: Record<string, Handler> = {
  '/api/v1/get': get('kv'),
  '/api/v1/set': set('kv'),
  '/api/v1/delete': del('kv'),
  '/api/v1/query': query,
  '/api/v1/secret/get': get('secret'),
  '/api/v1/secret/set': set('secret'),
  '/api/v1/secret/delete': del('secret'),
  '/api/v1/entity/get': get('entity'),
  '/api/v1/entity/set': set('entity'),
  '/api/v1/entity/delete': del('entity'),
  '/api/v1/entity/query': entityQuery,
};
