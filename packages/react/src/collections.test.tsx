import { act, render, screen } from '@testing-library/react';
import { createCollection, createHost, createReplica, defineStore, getItem, listItems, setItem } from '@bgstore/core';
import { useReplica } from '.';
import { createWorld } from '../../core/test/world';
import { useRenderCount } from '../test/harness';

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

const todos = defineStore({
  name: 'todos',
  initialState: { todos: createCollection<Todo>(Array.from({ length: 300 }, (_, i) => ({ id: `t${i}`, title: `Todo ${i}`, done: false }))), title: 'Todos' },
  actions: {
    toggle: (s, id: string) => {
      const t = getItem(s.todos, id);
      if (t) t.done = !t.done;
    },
    add: (s, id: string) => setItem(s.todos, { id, title: id, done: false }),
    rename: (s, title: string) => {
      s.title = title;
    },
  },
});

describe('collections in React', () => {
  it('#22.2 a list selector and an item selector see plain values and re-render only when what they read changed', async () => {
    const world = createWorld();
    const host = createHost(todos, { transport: world.transport('bg'), clock: world.clock });
    const feed = createReplica(todos, { transport: world.transport('feed'), clock: world.clock });
    const run = () => act(() => world.run(10));
    await run();
    const renders = { list: 0, item: 0 };
    function List() {
      renders.list = useRenderCount();
      const list = useReplica(feed, (s) => listItems(s.todos));
      return <p>{`${list.length} todos, ${list.filter((t) => t.done).length} done`}</p>;
    }
    function Item() {
      renders.item = useRenderCount();
      const t = useReplica(feed, (s) => getItem(s.todos, 't7'));
      return <p>{`${t?.title}: ${t?.done ? 'done' : 'open'}`}</p>;
    }
    render(
      <>
        <List />
        <Item />
      </>,
    );
    expect(screen.getByText('300 todos, 0 done')).toBeTruthy();
    await act(() => host.actions.rename('Renamed'));
    await run();
    expect(renders).toEqual({ list: 1, item: 1 });
    await act(() => host.actions.toggle('t200'));
    await run();
    expect(screen.getByText('300 todos, 1 done')).toBeTruthy();
    expect(renders).toEqual({ list: 2, item: 1 });
    await act(() => host.actions.toggle('t7'));
    await run();
    expect(screen.getByText('Todo 7: done')).toBeTruthy();
    await act(() => host.actions.add('new'));
    await run();
    expect(screen.getByText('301 todos, 2 done')).toBeTruthy();
    expect(renders).toEqual({ list: 4, item: 2 });
    host.close();
    feed.close();
  });
});
