import { Filter, FilterConditions, ForgeKvsAPIError, kvs, Sort, WhereConditions } from '@forge/kvs';
import { createManualClock } from '../clock';
import type { EntityDeclaration } from './entities';
import { createKvsFetch, type KvsFetch } from './forgeFetch';

const g = globalThis as { __forge_fetch__?: unknown };

const entities: EntityDeclaration[] = [
  {
    name: 'task',
    attributes: { board: { type: 'string' }, rank: { type: 'integer' }, title: { type: 'string' }, done: { type: 'boolean' }, rev: { type: 'integer' } },
    indexes: ['rank', { name: 'by-board', partition: ['board'], range: ['rank'] }],
  },
];

type Task = { board: string; rank: number; title: string; done?: boolean; rev?: number };
const tasks = () => kvs.entity<Task>('task');
let fetch: KvsFetch;

beforeEach(async () => {
  fetch = createKvsFetch({ clock: createManualClock(), entities });
  g.__forge_fetch__ = fetch;
  await tasks().set('t1', { board: 'a', rank: 3, title: 'write tests', done: false });
  await tasks().set('t2', { board: 'a', rank: 1, title: 'write code', done: true });
  await tasks().set('t3', { board: 'b', rank: 2, title: 'ship' });
  await tasks().set('t4', { board: 'a', rank: 2, title: 'review', done: false });
});

afterAll(() => {
  delete g.__forge_fetch__;
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ForgeKvsAPIError) return e.code;
    throw e;
  }
  return 'NO_ERROR';
}

describe('custom entities', () => {
  it('round-trips get, set and delete', async () => {
    expect(await tasks().get('t3')).toEqual({ board: 'b', rank: 2, title: 'ship' });
    await tasks().delete('t3');
    expect(await tasks().get('t3')).toBeUndefined();
    expect(await kvs.get('t1')).toBeUndefined();
  });

  it('rejects an entity that is not declared with INVALID_ENTITY_TYPE', async () => {
    expect(await code(kvs.entity('nope').set('a', {}))).toBe('INVALID_ENTITY_TYPE');
    expect(await code(kvs.entity('nope').get('a'))).toBe('INVALID_ENTITY_TYPE');
    expect(await code(kvs.transact().set('a', {}, { entityName: 'nope' }).execute())).toBe('INVALID_ENTITY_TYPE');
  });

  it('rejects values that do not fit the declared attributes with INVALID_ENTITY_VALUE', async () => {
    expect(await code(tasks().set('x', { board: 'a', rank: 1.5, title: 't' }))).toBe('INVALID_ENTITY_VALUE');
    expect(await code(tasks().set('x', { board: 'a', rank: 1, title: 't', extra: 1 } as Task))).toBe('INVALID_ENTITY_VALUE');
    expect(await code(tasks().set('x', 'text' as unknown as Task))).toBe('INVALID_ENTITY_VALUE');
  });

  it('queries an index in range order with a cursor', async () => {
    const first = await tasks().query().index('rank').limit(2).getMany();
    expect(first.results.map((r) => r.key)).toEqual(['t2', 't3']);
    const rest = await tasks().query().index('rank').limit(2).cursor(first.nextCursor!).getMany();
    expect(rest.results.map((r) => r.key)).toEqual(['t4', 't1']);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('queries a partition with a range condition, filters and sort', async () => {
    const q = tasks().query().index('by-board', { partition: ['a'] });
    expect((await q.where(WhereConditions.greaterThanEqualTo(2)).sort(Sort.DESC).getMany()).results.map((r) => r.key)).toEqual(['t1', 't4']);
    const filtered = await tasks()
      .query()
      .index('by-board', { partition: ['a'] })
      .filters(new Filter<Task>().or('done', FilterConditions.equalTo(true)).or('title', FilterConditions.contains('review')))
      .getMany();
    expect(filtered.results.map((r) => r.value.title)).toEqual(['write code', 'review']);
    expect(await tasks().query().index('by-board', { partition: ['b'] }).getOne()).toEqual({ key: 't3', value: { board: 'b', rank: 2, title: 'ship' } });
  });

  it('rejects an unknown index and an out-of-range page', async () => {
    expect(await code(tasks().query().index('missing').getMany())).toBe('INVALID_ENTITY_INDEX');
    expect(await code(tasks().query().index('rank').limit(101).getMany())).toBe('COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE');
  });

  it('applies a conditional transaction when every condition holds', async () => {
    await kvs
      .transact()
      .set('t1', { board: 'a', rank: 3, title: 'write tests', done: true, rev: 1 }, { entityName: 'task', conditions: new Filter<Task>().and('done', FilterConditions.equalTo(false)) })
      .delete('t2', { entityName: 'task', conditions: new Filter<Task>().and('done', FilterConditions.equalTo(true)) })
      .check('t3', { entityName: 'task', conditions: new Filter<Task>().and('board', FilterConditions.equalTo('b')) })
      .set('plain', 1)
      .execute();
    expect((await tasks().get('t1'))?.rev).toBe(1);
    expect(await tasks().get('t2')).toBeUndefined();
    expect(await kvs.get('plain')).toBe(1);
  });

  it('surfaces a failed condition as CONDITIONAL_CHECK_FAILED and writes nothing', async () => {
    const before = fetch.dump();
    const err = kvs
      .transact()
      .set('t1', { board: 'a', rank: 3, title: 'changed' }, { entityName: 'task' })
      .set('plain', 1)
      .check('t3', { entityName: 'task', conditions: new Filter<Task>().and('board', FilterConditions.equalTo('a')) })
      .execute();
    expect(await code(err)).toBe('CONDITIONAL_CHECK_FAILED');
    expect(fetch.dump()).toEqual(before);
  });

  it('uses optimistic locking: a compare-and-set on a stale revision fails', async () => {
    const cas = (rev: number) =>
      kvs
        .transact()
        .set<Task>('t3', { board: 'b', rank: 2, title: 'ship', rev: rev + 1 }, { entityName: 'task', conditions: new Filter<Task>().or('rev', FilterConditions.notExists()).or('rev', FilterConditions.equalTo(rev)) })
        .execute();
    await cas(0);
    expect(await code(cas(0))).toBe('CONDITIONAL_CHECK_FAILED');
    await cas(1);
    expect((await tasks().get('t3'))?.rev).toBe(2);
  });

  it('fails a condition on an entity that does not exist unless it asks for NOT_EXISTS', async () => {
    const exists = new Filter<Task>().and('title', FilterConditions.exists());
    expect(await code(kvs.transact().check('t9', { entityName: 'task', conditions: exists }).execute())).toBe('CONDITIONAL_CHECK_FAILED');
    const absent = new Filter<Task>().and('title', FilterConditions.notExists());
    await kvs.transact().set<Task>('t9', { board: 'c', rank: 9, title: 'new' }, { entityName: 'task', conditions: absent }).execute();
    expect(await tasks().get('t9')).toEqual({ board: 'c', rank: 9, title: 'new' });
  });
});
