import { createHost, createReplica, defineStore } from '.';
import { createWorld } from '../test/world';

// Development mode (jest runs with NODE_ENV=test): states handed to the app are frozen where it
// matters, without freezing a big list itself (V8 copies a frozen array ~150× slower, and immer
// copies the list on every change to it).
const list = defineStore({
  name: 'list',
  initialState: { items: [] as { id: number; tags: string[] }[], meta: { title: 't' } },
  actions: {
    fill: (d, n: number) => void d.items.push(...Array.from({ length: n }, (_, id) => ({ id, tags: [] as string[] }))),
    tag: (d, at: number, tag: string) => void d.items[at]!.tags.push(tag),
    add: (d, id: number, tags: string[]) => void d.items.push({ id, tags }),
  },
});

async function start() {
  const w = createWorld();
  const host = createHost(list, { transport: w.transport('bg'), clock: w.clock });
  const feed = createReplica(list, { transport: w.transport('feed'), clock: w.clock });
  await w.run(10);
  return { w, host, feed };
}

describe('#20 development mode freezes what is new', () => {
  it('freezes a new value whole, the containers on its path, and every element of a big list', async () => {
    const { w, host, feed } = await start();
    await host.actions.fill(3).applied;
    await host.actions.add(99, ['deep']).applied;
    await w.run(100);
    for (const state of [host.getState(), feed.getState()]) {
      expect(Object.isFrozen(state)).toBe(true);
      expect(Object.isFrozen(state.items)).toBe(true);
      // The value an action added is frozen all the way down, not only its top.
      expect(Object.isFrozen(state.items[3]!.tags)).toBe(true);
      expect(() => state.items[3]!.tags.push('x')).toThrow(TypeError);
    }
  });

  it('leaves a list of more than 512 elements extensible, its elements frozen, and keeps freezing new ones', async () => {
    const { w, host, feed } = await start();
    await host.actions.fill(600).applied;
    await host.actions.tag(10, 'a').applied;
    await host.actions.add(700, ['b']).applied;
    await w.run(100);
    for (const state of [host.getState(), feed.getState()]) {
      expect(Object.isFrozen(state.items)).toBe(false);
      expect(Object.isFrozen(state.items[0])).toBe(true);
      expect(() => state.items[10]!.tags.push('x')).toThrow(TypeError);
      expect(() => (state.items[600]!.id = 1)).toThrow(TypeError);
      expect(state.items[10]!.tags).toEqual(['a']);
    }
  });
});
