import { act, render, screen } from '@testing-library/react';
import { useRef } from 'react';
import { createHost, createReplica } from '@bgstore/core';
import { createStoreHooks, shallow, useActions, useReplica, useSyncStatus } from '.';
import { board } from '../../core/test/board';
import { createWorld } from '../../core/test/world';

function setup() {
  const w = createWorld();
  const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
  const replica = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
  const run = (ms = 10) => act(() => w.run(ms));
  return { w, host, replica, run };
}

function useRenderCount() {
  const n = useRef(0);
  n.current++;
  return n.current;
}

describe('useReplica', () => {
  it('does not re-render a component whose slice is untouched, and re-renders the one whose slice changed', async () => {
    const { host, replica, run } = setup();
    await run();
    const renders = { title: 0, cards: 0 };
    function Title() {
      renders.title = useRenderCount();
      return <p>{useReplica(replica, (s) => s.meta.title)}</p>;
    }
    function Cards() {
      renders.cards = useRenderCount();
      return <p>{useReplica(replica, (s) => s.cards).length} cards</p>;
    }
    render(
      <>
        <Title />
        <Cards />
      </>,
    );
    expect(renders).toEqual({ title: 1, cards: 1 });
    await act(() => host.actions.add('c1', 'one'));
    await run();
    await act(() => host.actions.add('c2', 'two'));
    await run();
    expect(screen.getByText('2 cards')).toBeTruthy();
    expect(renders).toEqual({ title: 1, cards: 3 });
  });

  it('does not loop or re-render with an object-returning selector and shallow equality', async () => {
    const { host, replica, run } = setup();
    await run();
    let renders = 0;
    function Summary() {
      renders++;
      const { title, count } = useReplica(replica, (s) => ({ title: s.meta.title, count: s.count }), shallow);
      return <p>{`${title}: ${count}`}</p>;
    }
    render(<Summary />);
    await act(() => host.actions.add('c1', 'one'));
    await run();
    expect(screen.getByText('Team board: 1')).toBeTruthy();
    const before = renders;
    // The selector builds a new object on every change; shallow equality keeps it from re-rendering.
    await act(() => host.actions.toggle('c1'));
    await run();
    expect(replica.getState().cards[0]?.done).toBe(true);
    expect(renders).toBe(before);
  });

  it('stops listening when the component unmounts', async () => {
    const { replica, run } = setup();
    await run();
    let listeners = 0;
    const counted = {
      ...replica,
      subscribe(listener: Parameters<typeof replica.subscribe>[0]) {
        listeners++;
        const stop = replica.subscribe(listener);
        return () => {
          listeners--;
          stop();
        };
      },
    };
    function Count() {
      return <p>{useReplica(counted, (s) => s.count)}</p>;
    }
    const { unmount } = render(<Count />);
    expect(listeners).toBe(1);
    unmount();
    expect(listeners).toBe(0);
  });
});

describe('useSyncStatus and useActions', () => {
  it('shows connecting, then live, and sends actions that reach every replica', async () => {
    const w = createWorld();
    const replica = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    const other = createReplica(board, { transport: w.transport('other'), clock: w.clock });
    function Status() {
      const phase = useSyncStatus(replica, (s) => s.phase);
      const { add } = useActions(replica);
      return <button onClick={() => void add('c1', 'from a button')}>{phase}</button>;
    }
    render(<Status />);
    expect(screen.getByRole('button').textContent).toBe('connecting');
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    await act(() => w.run(1000));
    expect(screen.getByRole('button').textContent).toBe('live');
    act(() => screen.getByRole('button').click());
    await act(() => w.run(100));
    expect(host.getState().count).toBe(1);
    expect(other.getState()).toEqual(host.getState());
  });

  it('binds all hooks to one replica with createStoreHooks', async () => {
    const { host, replica, run } = setup();
    const hooks = createStoreHooks(replica);
    function Board() {
      const count = hooks.useStore((s) => s.count);
      const version = hooks.useSyncStatus((s) => s.version);
      return <p>{`${count} @ ${version}`}</p>;
    }
    render(<Board />);
    await run();
    await act(() => hooks.actions.add('c1', 'one'));
    await run();
    expect(host.getState().count).toBe(1);
    expect(screen.getByText('1 @ 1')).toBeTruthy();
  });
});
