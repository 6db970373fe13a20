import { matchesFilters, parseFilters, type Filters } from './conditions';
import { badRequest, KvsServiceError, malformed } from './errors';
import { address, buildRecord, live, objectBody, type Address, type Handler, type HandlerContext } from './handlers';
import type { KvsOp } from './store';
import { isObject, metadataFields, wireRecord } from './validate';

type ItemError = { code: string; message: string };

function itemError(e: unknown): ItemError {
  if (e instanceof KvsServiceError) return { code: e.code, message: e.message };
  throw e;
}

function entityField(entityName: unknown): { entityName?: string } {
  return typeof entityName === 'string' ? { entityName } : {};
}

const slot = (a: Address) => `${a.namespace}\u0000${a.key}`;

// Forge answers a batch that breaks the request-level rules with one error; the code is not
// documented, so BAD_REQUEST it is.
function batchItems(raw: unknown, ctx: HandlerContext): Record<string, unknown>[] {
  if (!Array.isArray(raw)) malformed('a batch body must be a JSON array');
  if (raw.length === 0) malformed('a batch needs at least one item');
  if (raw.length > ctx.limits.batchItems) malformed(`a batch holds at most ${ctx.limits.batchItems} items`);
  if (ctx.bodyBytes > ctx.limits.payloadBytes) malformed(`a batch payload is at most ${ctx.limits.payloadBytes} bytes`);
  return raw.map((item) => objectBody(item));
}

const batchSet: Handler = (raw, ctx) => {
  const items = batchItems(raw, ctx);
  const seen = new Set<string>();
  for (const item of items) {
    const id = `${String(item.entityName ?? '')}\u0000${String(item.key)}`;
    if (seen.has(id)) malformed(`key "${String(item.key)}" appears more than once in the batch`);
    seen.add(id);
  }
  const ops: KvsOp[] = [];
  const successfulKeys: unknown[] = [];
  const failedKeys: unknown[] = [];
  let bytes = 0;
  for (const item of items) {
    try {
      const a = address(ctx, 'kv', item.entityName, item.key);
      const built = buildRecord(ctx, a, item.value, item.options, live(ctx, a));
      ops.push({ type: 'put', namespace: a.namespace, key: a.key, record: built.record });
      bytes += built.bytes;
      successfulKeys.push({ key: a.key, ...entityField(item.entityName) });
    } catch (e) {
      failedKeys.push({ key: item.key, ...entityField(item.entityName), error: itemError(e) });
    }
  }
  if (ops.length > 0) ctx.commit(ops, bytes);
  return { status: 200, body: { successfulKeys, failedKeys } };
};

const batchGet: Handler = (raw, ctx) => {
  const items = batchItems(raw, ctx);
  const successfulKeys: unknown[] = [];
  const failedKeys: unknown[] = [];
  ctx.read();
  for (const item of items) {
    try {
      const a = address(ctx, 'kv', item.entityName, item.key);
      const fields = metadataFields(isObject(item.options) ? item.options.metadataFields : undefined);
      const r = live(ctx, a);
      if (r) successfulKeys.push(wireRecord(a.key, r, fields, entityField(item.entityName)));
      else failedKeys.push({ key: a.key, ...entityField(item.entityName), error: { code: 'KEY_NOT_FOUND', message: 'Key does not exist' } });
    } catch (e) {
      failedKeys.push({ key: item.key, ...entityField(item.entityName), error: itemError(e) });
    }
  }
  return { status: 200, body: { successfulKeys, failedKeys } };
};

const batchDelete: Handler = (raw, ctx) => {
  const items = batchItems(raw, ctx);
  const ops: KvsOp[] = [];
  const successfulKeys: unknown[] = [];
  const failedKeys: unknown[] = [];
  for (const item of items) {
    try {
      const a = address(ctx, 'kv', item.entityName, item.key);
      if (live(ctx, a)) {
        ops.push({ type: 'delete', namespace: a.namespace, key: a.key });
        successfulKeys.push({ key: a.key, ...entityField(item.entityName) });
      } else {
        failedKeys.push({ key: a.key, ...entityField(item.entityName), error: { code: 'KEY_NOT_FOUND', message: 'Key does not exist' } });
      }
    } catch (e) {
      failedKeys.push({ key: item.key, ...entityField(item.entityName), error: itemError(e) });
    }
  }
  if (ops.length > 0) ctx.commit(ops, 0);
  return { status: 200, body: { successfulKeys, failedKeys } };
};

function invalidTransaction(message: string): never {
  return badRequest('INVALID_TRANSACTION_REQUEST', message);
}

function list(v: unknown, name: string): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) malformed(`${name} must be an array`);
  return v.map((item) => objectBody(item));
}

function conditionsOf(item: Record<string, unknown>, required: boolean): Filters | undefined {
  const hasConditions = item.conditions !== undefined && item.conditions !== null;
  if (required && !hasConditions) invalidTransaction('A check needs conditions.');
  if (!hasConditions) return undefined;
  if (typeof item.entityName !== 'string') invalidTransaction('Conditions are only supported on custom entities; give an entityName.');
  return parseFilters(item.conditions);
}

const transaction: Handler = (raw, ctx) => {
  const body = objectBody(raw);
  const sets = list(body.set, 'set');
  const deletes = list(body.delete, 'delete');
  const checks = list(body.check, 'check');
  const total = sets.length + deletes.length + checks.length;
  if (total === 0) invalidTransaction('A transaction needs at least one operation.');
  if (total > ctx.limits.transactionOps) invalidTransaction(`A transaction can contain a maximum of ${ctx.limits.transactionOps} operations (got ${total}).`);
  if (ctx.bodyBytes > ctx.limits.payloadBytes) invalidTransaction(`A transaction payload is limited to ${ctx.limits.payloadBytes} bytes (got ${ctx.bodyBytes}).`);

  const seen = new Set<string>();
  const claim = (item: Record<string, unknown>): Address => {
    const a = address(ctx, 'kv', item.entityName, item.key);
    if (seen.has(slot(a))) invalidTransaction(`Each key can only be used once in a transaction ("${a.key}").`);
    seen.add(slot(a));
    return a;
  };
  const guards: Array<{ a: Address; filters: Filters }> = [];
  const ops: KvsOp[] = [];
  let bytes = 0;
  for (const item of sets) {
    const a = claim(item);
    const filters = conditionsOf(item, false);
    if (filters) guards.push({ a, filters });
    const built = buildRecord(ctx, a, item.value, item.options, live(ctx, a));
    ops.push({ type: 'put', namespace: a.namespace, key: a.key, record: built.record });
    bytes += built.bytes;
  }
  for (const item of deletes) {
    const a = claim(item);
    const filters = conditionsOf(item, false);
    if (filters) guards.push({ a, filters });
    ops.push({ type: 'delete', namespace: a.namespace, key: a.key });
  }
  for (const item of checks) {
    if (typeof item.entityName !== 'string') invalidTransaction('A check needs an entityName.');
    const a = claim(item);
    const filters = conditionsOf(item, true);
    if (filters) guards.push({ a, filters });
  }
  // Every condition is evaluated before anything is written: all or nothing.
  for (const { a, filters } of guards) {
    if (!matchesFilters(live(ctx, a)?.value, filters)) {
      throw new KvsServiceError(400, 'CONDITIONAL_CHECK_FAILED', `Request failed due to conditional check specified or optimistic locking (key "${a.key}").`);
    }
  }
  if (ops.length > 0) ctx.commit(ops, bytes);
  return { status: 204 };
};

/** Routes for batches and transactions. */
export const BULK_ROUTES: Record<string, Handler> = {
  '/api/v1/batch/set': batchSet,
  '/api/v1/batch/get': batchGet,
  '/api/v1/batch/delete': batchDelete,
  '/api/v1/transaction': transaction,
};
