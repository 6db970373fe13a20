import fc from 'fast-check';
import type { WirePatch } from '@bgstore/protocol';
import { countItems, createCollection, createHost, createReplica, defineStore, getItem, hasItem, listIds, listItems, removeItem, setItem, type Collection } from '..';
import { runIntent } from '../durable';
import { createWorld } from '../../test/world';

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

const seed = Number(process.env.BGSTORE_SEED ?? 22);
const todo = (id: string, title = id): Todo => ({ id, title, done: false });
const make = (n: number, chunkSize = 8) => createCollection<Todo>(Array.from({ length: n }, (_, i) => todo(`t${i}`)), { chunkSize });

const todos = (n: number) =>
  defineStore({
    name: 'todos',
    initialState: { todos: make(n), title: 'Todos' },
    actions: {
      set: (s, id: string, title: string) => setItem(s.todos, { id, title, done: false }),
      toggle: (s, id: string) => {
        const t = getItem(s.todos, id);
        if (t) t.done = !t.done;
      },
      remove: (s, id: string) => void removeItem(s.todos, id),
    },
  });

describe('collections', () => {
  it('#22.2 reads by id and as a list in the order items were added, whatever the ids', () => {
    const ids = ['b', '10', '__proto__', 'constructor', '2', 'a'];
    const col = createCollection<Todo>(ids.map((id) => todo(id)), { chunkSize: 4 });
    expect(listIds(col)).toEqual(ids);
    expect(listItems(col).map((t) => t.id)).toEqual(ids);
    expect(getItem(col, '__proto__')).toEqual(todo('__proto__'));
    expect(getItem(col, 'toString')).toBeUndefined();
    expect(hasItem(col, '10')).toBe(true);
    expect(countItems(col)).toBe(6);
    // Plain JSON: a copy reads the same.
    const copy = JSON.parse(JSON.stringify(col)) as Collection<Todo>;
    expect(listItems(copy)).toEqual(listItems(col));
    expect(getItem(copy, 'constructor')).toEqual(todo('constructor'));
  });

  it('#22.2 in one action, a lookup after a remove, a re-add or an add finds the item where the draft has it', () => {
    const col = createCollection<Todo>(['a', 'b', 'c', 'd', 'e'].map((id) => todo(id)), { chunkSize: 4 });
    const after = runBatch(col, [[1, 'a', null], [2, 'c', null], [1, 'b', null], [0, 'b', todo('b', 'again')], [2, 'b', null], [0, 'f', todo('f')], [2, 'f', null], [2, 'e', null]]);
    expect(listItems(after).map((t) => [t.id, t.done])).toEqual([['c', true], ['d', false], ['e', true], ['b', true], ['f', true]]);
    expect(getItem(after, 'a')).toBeUndefined();
  });

  it('#22.2 behaves like an insertion-ordered map under random sets, removes and edits', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (ops, chunkSize, batch, legacy) => {
        // Either shape: the current one, or the first one a stored document may hold.
        let col = legacy ? ({ c: [], size: 0, chunkSize } as unknown as Collection<Todo>) : createCollection<Todo>([], { chunkSize });
        const model = new Map<string, Todo>();
        let pending: [number, string, Todo | null][] = [];
        for (const [op, n] of ops) {
          const id = `i${n}`;
          if (op === 0) model.set(id, todo(id, `v${model.size}`));
          else if (op === 1) model.delete(id);
          else if (op === 2 && model.has(id)) model.set(id, { ...model.get(id)!, done: !model.get(id)!.done });
          pending.push([op, id, model.get(id) ?? null]);
          if (pending.length >= batch) {
            col = runBatch(col, pending);
            pending = [];
          }
        }
        col = runBatch(col, pending);
        expect(listItems(col)).toEqual([...model.values()]);
        expect(listIds(col)).toEqual([...model.keys()]);
        expect(countItems(col)).toBe(model.size);
        for (let n = 0; n <= 40; n++) expect(getItem(col, `i${n}`)).toEqual(model.get(`i${n}`));
        // No chunk over its size; only trailing empty chunks are dropped.
        const [size, ...chunks] = Array.isArray(col) ? col : [(col as unknown as { chunkSize: number }).chunkSize, ...(col as unknown as { c: Todo[][] }).c];
        expect(size).toBe(chunkSize);
        expect(Array.isArray(col)).toBe(!legacy);
        expect(chunks.every((c) => c.length <= chunkSize)).toBe(true);
        expect(chunks.length === 0 || chunks[chunks.length - 1]!.length > 0).toBe(true);
      }),
      { numRuns: 200, seed },
    );
  });

  it('#22.2 a collection stored in the first shape ({c, size, chunkSize}) still reads and changes', async () => {
    const stored = { c: [[todo('a'), todo('b')], [todo('c')]], size: 3, chunkSize: 2 };
    const legacy = JSON.parse(JSON.stringify(stored)) as Collection<Todo>;
    expect(listIds(legacy)).toEqual(['a', 'b', 'c']);
    expect(getItem(legacy, 'c')).toEqual(todo('c'));
    expect(countItems(legacy)).toBe(3);
    const after = runBatch(legacy, [[2, 'b', null], [0, 'd', todo('d')], [0, 'e', todo('e')], [1, 'a', null], [3, 'd', null]]);
    expect(after).toEqual({ c: [[{ ...todo('b'), done: true }], [todo('c'), todo('d')], [todo('e')]], size: 4, chunkSize: 2 });
    expect(countItems(after)).toBe(4);
    // A host whose stored state has that shape serves it, and replicas change it.
    const w = createWorld();
    const def = defineStore({ name: 'todos', initialState: { todos: legacy, title: 'Todos' }, actions: todos(0).actions });
    const host = createHost(def, { transport: w.transport('bg'), clock: w.clock });
    const replica = createReplica(def, { transport: w.transport('feed'), clock: w.clock });
    await w.run(100);
    await replica.actions.toggle('c');
    await replica.actions.set('f', 'F');
    await replica.actions.remove('a');
    await w.run(100);
    expect(replica.getState()).toEqual(host.getState());
    expect(listItems(host.getState().todos).map((t) => [t.id, t.done])).toEqual([['b', false], ['c', true], ['f', false]]);
    host.close();
    replica.close();
  });

  it('#22.2 a one-item change patches one chunk; replicas keep every other chunk and item', async () => {
    const w = createWorld();
    const def = todos(1000);
    const host = createHost(def, { transport: w.transport('bg'), clock: w.clock });
    const replica = createReplica(todos(0), { transport: w.transport('feed'), clock: w.clock });
    await w.run(100);
    const before = replica.getState();
    const list = listItems(before.todos);
    expect(list).toHaveLength(1000);
    expect(listItems(before.todos)).toBe(list);
    const patches: WirePatch[][] = [];
    w.bus.subscribe({ id: 'spy', moduleKey: 'spy', appId: 'app' }, 'bgstore:todos:down', (m) => {
      if (Array.isArray(m) && m[2] === 'p') patches.push(m[5] as WirePatch[]);
    });
    await host.actions.toggle('t500');
    await w.run(100);
    const after = replica.getState();
    expect(getItem(after.todos, 't500')!.done).toBe(true);
    expect(patches).toHaveLength(1);
    expect(JSON.stringify(patches[0]).length).toBeLessThan(80);
    const changed = after.todos.filter((c, i) => c !== before.todos[i]);
    expect(changed).toHaveLength(1);
    // The path is the field, the chunk and the place in it: one number more than a plain array's.
    const at = after.todos.indexOf(changed[0]!);
    expect(patches[0]).toEqual([[1, 'todos', at, (changed[0] as Todo[]).findIndex((t) => t.id === 't500'), 'done', true]]);
    expect(getItem(after.todos, 't499')).toBe(getItem(before.todos, 't499'));
    expect(listItems(after.todos)).not.toBe(list);
    expect(listItems(after.todos)).toEqual(list.map((t) => (t.id === 't500' ? { ...t, done: true } : t)));
    await host.actions.set('new', 'New');
    await host.actions.remove('t3');
    await w.run(100);
    expect(replica.getState()).toEqual(host.getState());
    expect(listIds(replica.getState().todos).slice(-2)).toEqual(['t999', 'new']);
    host.close();
    replica.close();
  });
});

/** Ops on a bare collection, several in one action as the host runs them: later ones see what earlier ones did to the draft. */
const opsStore = defineStore({
  name: 'ops',
  initialState: { col: createCollection<Todo>() },
  actions: {
    batch: (s, ops: [number, string, Todo | null][]) => {
      for (const [op, id, t] of ops) {
        if (op === 0) setItem(s.col, t!);
        else if (op === 1) removeItem(s.col, id);
        else if (op === 2) {
          const item = getItem(s.col, id);
          if (item) item.done = !item.done;
        } else if (hasItem(s.col, id) !== listIds(s.col).includes(id)) throw new Error('list and lookup disagree');
      }
    },
  },
});

function runBatch(col: Collection<Todo>, ops: [number, string, Todo | null][]): Collection<Todo> {
  if (ops.length === 0) return col;
  const out = runIntent(opsStore, { col }, 'batch', [ops]);
  if (!out.ok) throw new Error(out.message);
  return out.state.col;
}
