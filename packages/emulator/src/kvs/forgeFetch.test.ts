import { kvs, MetadataField, WhereConditions } from '@forge/kvs';
import { createManualClock } from '../clock';
import { kvsFailure } from './kvsTestKit';
import { createKvsFetch, type KvsFetch } from './forgeFetch';

const g = globalThis as { __forge_fetch__?: unknown };

let fetch: KvsFetch;
const clock = createManualClock(1_700_000_000_000);

beforeEach(() => {
  fetch = createKvsFetch({ clock });
  g.__forge_fetch__ = fetch;
});

afterAll(() => {
  delete g.__forge_fetch__;
});

describe('createKvsFetch with the real @forge/kvs', () => {
  it('round-trips get, set and delete', async () => {
    expect(await kvs.get('missing')).toBeUndefined();
    await kvs.set('doc:1', { title: 'hello', n: [1, 2] });
    expect(await kvs.get('doc:1')).toEqual({ title: 'hello', n: [1, 2] });
    await kvs.delete('doc:1');
    expect(await kvs.get('doc:1')).toBeUndefined();
    await expect(kvs.delete('doc:1')).resolves.toBeUndefined();
  });

  it('returns metadata fields on request', async () => {
    await kvs.set('a', 1, { ttl: { value: 2, unit: 'MINUTES' } });
    clock.advance(5000);
    await kvs.set('a', 2);
    const r = await kvs.get('a', { metadataFields: [MetadataField.CREATED_AT, MetadataField.UPDATED_AT, MetadataField.EXPIRE_TIME] });
    expect(r).toEqual({ key: 'a', value: 2, createdAt: 1_700_000_000, updatedAt: 1_700_000_005 });
  });

  it('expires a value after its ttl', async () => {
    await kvs.set('t', 'v', { ttl: { value: 10, unit: 'SECONDS' } });
    const r = await kvs.get('t', { metadataFields: [MetadataField.EXPIRE_TIME] });
    expect(r?.expireTime).toBe(new Date(clock.now() + 10_000).toISOString().replace('.000Z', 'Z'));
    clock.advance(9_999);
    expect(await kvs.get('t')).toBe('v');
    clock.advance(1);
    expect(await kvs.get('t')).toBeUndefined();
    expect(fetch.inspect('kv')).toEqual([expect.objectContaining({ key: 't', expired: true })]);
  });

  it('fails FAIL_IF_EXISTS on an existing key with 409 KEY_CONFLICT', async () => {
    await kvs.set('k', 1, { keyPolicy: 'FAIL_IF_EXISTS' });
    const err = await kvsFailure(kvs.set('k', 2, { keyPolicy: 'FAIL_IF_EXISTS' }));
    expect(err.code).toBe('KEY_CONFLICT');
    expect(err.responseDetails.status).toBe(409);
    expect(await kvs.get('k')).toBe(1);
  });

  it('returns the previous or latest value with OVERRIDE', async () => {
    expect(await kvs.set('k', 1, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' })).toBeUndefined();
    expect(await kvs.set('k', 2, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' })).toEqual({ key: 'k', value: 1 });
    const latest = await kvs.set('k', 3, { keyPolicy: 'OVERRIDE', returnValue: 'LATEST', returnMetadataFields: [MetadataField.UPDATED_AT] });
    expect(latest).toEqual({ key: 'k', value: 3, updatedAt: Math.floor(clock.now() / 1000) });
  });

  it('rejects returnValue without keyPolicy OVERRIDE', async () => {
    const err = await kvsFailure(kvs.set('k', 1, { keyPolicy: 'FAIL_IF_EXISTS', returnValue: 'LATEST' } as never));
    expect(err.code).toBe('INVALID_KEY_POLICY_RETURN_VALUE_COMBINATION');
  });

  it('keeps secrets apart from plain keys', async () => {
    await kvs.setSecret('token', 's3cret');
    expect(await kvs.get('token')).toBeUndefined();
    expect(await kvs.getSecret('token')).toBe('s3cret');
    await kvs.deleteSecret('token');
    expect(await kvs.getSecret('token')).toBeUndefined();
    await kvs.deleteSecret('token');
  });

  it('queries by key prefix in key order, page by page', async () => {
    for (const k of ['p:3', 'p:1', 'q:1', 'p:2']) await kvs.set(k, k);
    const first = await kvs.query().where('key', WhereConditions.beginsWith('p:')).limit(2).getMany();
    expect(first.results).toEqual([
      { key: 'p:1', value: 'p:1' },
      { key: 'p:2', value: 'p:2' },
    ]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await kvs.query().where('key', WhereConditions.beginsWith('p:')).limit(2).cursor(first.nextCursor!).getMany();
    expect(second).toEqual({ results: [{ key: 'p:3', value: 'p:3' }], nextCursor: undefined });
    expect(await kvs.query().where('key', WhereConditions.beginsWith('q')).getOne()).toEqual({ key: 'q:1', value: 'q:1' });
  });

  it('pages 10 results by default', async () => {
    for (let i = 0; i < 12; i++) await kvs.set(`k${String(i).padStart(2, '0')}`, i);
    const page = await kvs.query().getMany();
    expect(page.results).toHaveLength(10);
    expect(page.nextCursor).toBeDefined();
  });

  it('round-trips batch set, get and delete', async () => {
    const set = await kvs.batchSet([
      { key: 'b1', value: 1 },
      { key: 'b2', value: 2, options: { ttl: { value: 1, unit: 'DAYS' } } },
      { key: 'bad key!', value: 3 },
    ]);
    expect(set.successfulKeys).toEqual([{ key: 'b1' }, { key: 'b2' }]);
    expect(set.failedKeys).toEqual([{ key: 'bad key!', error: expect.objectContaining({ code: 'INVALID_KEY' }) }]);
    const got = await kvs.batchGet([{ key: 'b1' }, { key: 'b2' }, { key: 'b3' }]);
    expect(got.successfulKeys).toEqual([
      { key: 'b1', value: 1 },
      { key: 'b2', value: 2 },
    ]);
    expect(got.failedKeys).toEqual([{ key: 'b3', error: { code: 'KEY_NOT_FOUND', message: 'Key does not exist' } }]);
    const del = await kvs.batchDelete([{ key: 'b1' }, { key: 'b3' }]);
    expect(del.successfulKeys).toEqual([{ key: 'b1' }]);
    expect(del.failedKeys).toEqual([{ key: 'b3', error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) }]);
    expect(fetch.dump()).toEqual({ kv: { b2: 2 } });
  });

  it('applies a plain transaction all at once', async () => {
    await kvs.set('old', 1);
    await kvs.transact().set('x', 1).set('y', { z: 2 }).delete('old').delete('never-was').execute();
    expect(fetch.dump()).toEqual({ kv: { x: 1, y: { z: 2 } } });
  });

  it('rejects conditions on a plain key in a transaction', async () => {
    const body = JSON.stringify({ set: [{ key: 'a', value: 1, conditions: { and: [{ property: 'a', condition: 'EXISTS', values: [true] }] } }] });
    const r = await fetch({ type: 'kvs' }, '/api/v1/transaction', { method: 'POST', body });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ code: 'INVALID_TRANSACTION_REQUEST', message: expect.any(String) });
  });

  it('counts reads, writes and bytes per path', async () => {
    await kvs.set('a', 'x'.repeat(20_000));
    await kvs.get('a');
    await kvs.transact().set('b', 1).set('c', 2).execute();
    const s = fetch.stats();
    expect(s).toMatchObject({ calls: 3, reads: 1, writes: 2, keysWritten: 3, errors: 0 });
    expect(s.bytesWritten).toBe(20_002 + 2);
    expect(s.writeUnits).toBe(2 + 1);
    expect(s.byPath['/api/v1/set']).toEqual({ calls: 1, errors: 0, requestBytes: expect.any(Number) });
    fetch.resetStats();
    expect(fetch.stats().calls).toBe(0);
  });

  it('answers an unknown path with 404 and a malformed body with 400 BAD_REQUEST', async () => {
    const notFound = await fetch({ type: 'kvs' }, '/api/v1/nope', { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
    const bad = await fetch({ type: 'kvs' }, '/api/v1/get', { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('BAD_REQUEST');
    const wrongShape = await fetch({ type: 'kvs' }, '/api/v1/set', { method: 'POST', body: JSON.stringify({ key: 'a' }) });
    expect((await wrongShape.json()).code).toBe('BAD_REQUEST');
  });
});
