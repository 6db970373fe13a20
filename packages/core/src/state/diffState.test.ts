import { createHost, createMemoryPersistence, createReplica, defineStore } from '..';
import { createWorld } from '../../test/world';

// Keys chosen by users (tag names, account ids) may be named like Object.prototype's properties.
const tags = defineStore({
  name: 'tags',
  initialState: { tags: {} as Record<string, number> },
  actions: {
    set: (d, key: string, value: number) => void (d.tags[key] = value),
    remove: (d, key: string) => void delete d.tags[key],
  },
});

describe('diffState, through a host that rebases on another tab’s commits', () => {
  it('#18 found by reading: keys named like Object.prototype properties are added and removed on replicas after a rebase', async () => {
    const tabA = createWorld();
    const tabB = createWorld();
    const persistence = createMemoryPersistence(tags);
    const hostA = createHost(tags, { transport: tabA.transport('bg'), clock: tabA.clock, persistence });
    const hostB = createHost(tags, { transport: tabB.transport('bg'), clock: tabB.clock, persistence });
    const feedB = createReplica(tags, { transport: tabB.transport('feed'), clock: tabB.clock });
    await Promise.all([tabA.run(10), tabB.run(10)]);
    const sync = async () => {
      await tabA.run(500);
      hostB.checkRevision();
      await tabB.run(500);
      expect(hostB.getState()).toEqual(hostA.getState());
      expect(feedB.getState()).toEqual(hostB.getState());
    };
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) await hostA.actions.set(key, 1).applied;
    await sync();
    expect(Object.keys(feedB.getState().tags).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    await hostA.actions.remove('constructor').applied;
    await hostA.actions.remove('toString').applied;
    await sync();
    expect(Object.keys(feedB.getState().tags).sort()).toEqual(['hasOwnProperty', 'valueOf']);
    expect(hostB.stats().rebases).toBeGreaterThan(0);
  });
});
