import { ForgeKvsAPIError, kvs, WhereConditions } from '@forge/kvs';
import { createManualClock } from '../clock';
import { createKvsFetch, type KvsFetch } from './forgeFetch';

const g = globalThis as { __forge_fetch__?: unknown };
let fetch: KvsFetch;

beforeEach(() => {
  fetch = createKvsFetch({ clock: createManualClock() });
  g.__forge_fetch__ = fetch;
});

afterAll(() => {
  delete g.__forge_fetch__;
});

async function failure(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ForgeKvsAPIError) return { code: e.code, status: e.responseDetails.status };
    throw e;
  }
  throw new Error('expected the call to fail');
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

describe('KVS limits', () => {
  it('rejects an empty key with KEY_TOO_SHORT', async () => {
    expect(await failure(kvs.set('', 1))).toEqual({ code: 'KEY_TOO_SHORT', status: 400 });
  });

  it('accepts a 500-character key and rejects 501 with KEY_TOO_LONG', async () => {
    await kvs.set('k'.repeat(500), 1);
    expect(await failure(kvs.set('k'.repeat(501), 1))).toEqual({ code: 'KEY_TOO_LONG', status: 400 });
    expect(await failure(kvs.get('k'.repeat(501)))).toEqual({ code: 'KEY_TOO_LONG', status: 400 });
  });

  it('rejects keys outside the allowed charset with INVALID_KEY', async () => {
    await kvs.set('a-b_c.d:e#f g', 1);
    for (const key of ['a/b', 'ä', '   ', 'a@b']) expect(await failure(kvs.set(key, 1))).toEqual({ code: 'INVALID_KEY', status: 400 });
  });

  it('accepts a value of exactly 240 KiB and rejects one above with MAX_SIZE', async () => {
    const limit = 240 * 1024;
    await kvs.set('ok', 'x'.repeat(limit - 2)); // the JSON string adds two quotes
    expect(await failure(kvs.set('big', 'x'.repeat(limit - 1)))).toEqual({ code: 'MAX_SIZE', status: 400 });
    expect(await kvs.get('big')).toBeUndefined();
  });

  it('counts value size in UTF-8 bytes', async () => {
    expect(await failure(kvs.set('big', 'é'.repeat(130_000)))).toEqual({ code: 'MAX_SIZE', status: 400 });
  });

  it('accepts depth 32 and rejects depth 33 with MAX_DEPTH', async () => {
    await kvs.set('deep', nested(32));
    expect(await failure(kvs.set('deeper', nested(33)))).toEqual({ code: 'MAX_DEPTH', status: 400 });
  });

  it('rejects a transaction of more than 25 operations', async () => {
    const ok = kvs.transact();
    for (let i = 0; i < 25; i++) ok.set(`k${i}`, i);
    await ok.execute();
    const tooMany = kvs.transact();
    for (let i = 0; i < 26; i++) tooMany.set(`n${i}`, i);
    expect(await failure(tooMany.execute())).toEqual({ code: 'INVALID_TRANSACTION_REQUEST', status: 400 });
    expect(await kvs.get('n0')).toBeUndefined();
  });

  it('rejects a transaction that uses a key twice', async () => {
    const err = await failure(kvs.transact().set('a', 1).delete('a').execute());
    expect(err).toEqual({ code: 'INVALID_TRANSACTION_REQUEST', status: 400 });
    expect(await kvs.get('a')).toBeUndefined();
  });

  it('rejects a transaction payload above 4 MiB', async () => {
    const tx = kvs.transact();
    for (let i = 0; i < 18; i++) tx.set(`k${i}`, 'x'.repeat(240_000));
    expect(await failure(tx.execute())).toEqual({ code: 'INVALID_TRANSACTION_REQUEST', status: 400 });
  });

  it('fails a whole transaction when one value is too big', async () => {
    const err = await failure(kvs.transact().set('a', 1).set('b', 'x'.repeat(250_000)).execute());
    expect(err.code).toBe('MAX_SIZE');
    expect(fetch.dump()).toEqual({});
  });

  it('rejects a batch of more than 25 keys and one with a repeated key', async () => {
    const items = Array.from({ length: 26 }, (_, i) => ({ key: `k${i}`, value: i }));
    expect(await failure(kvs.batchSet(items))).toEqual({ code: 'BAD_REQUEST', status: 400 });
    expect(await failure(kvs.batchGet(items))).toEqual({ code: 'BAD_REQUEST', status: 400 });
    expect(
      await failure(
        kvs.batchSet([
          { key: 'a', value: 1 },
          { key: 'a', value: 2 },
        ]),
      ),
    ).toEqual({ code: 'BAD_REQUEST', status: 400 });
    expect(fetch.dump()).toEqual({});
  });

  it('rejects a query page above 100 with LIST_QUERY_LIMIT_EXCEEDED', async () => {
    await kvs.query().limit(100).getMany();
    expect(await failure(kvs.query().limit(101).getMany())).toEqual({ code: 'LIST_QUERY_LIMIT_EXCEEDED', status: 400 });
  });

  it('rejects a query on anything but a key prefix', async () => {
    const r = await fetch({}, '/api/v1/query', { method: 'POST', body: JSON.stringify({ where: [{ property: 'value', condition: 'BEGINS_WITH', values: ['a'] }] }) });
    expect((await r.json()).code).toBe('QUERY_WHERE_FIELD_INVALID');
    const between = { property: 'key', ...WhereConditions.between('a', 'b') };
    const r2 = await fetch({}, '/api/v1/query', { method: 'POST', body: JSON.stringify({ where: [between] }) });
    expect((await r2.json()).code).toBe('INVALID_FILTER_CONDITION');
  });

  it('honours overridden limits', async () => {
    g.__forge_fetch__ = createKvsFetch({ clock: createManualClock(), limits: { valueBytes: 10 } });
    expect(await failure(kvs.set('a', 'x'.repeat(20)))).toEqual({ code: 'MAX_SIZE', status: 400 });
  });
});
