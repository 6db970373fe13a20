import { act, render, screen } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { shallow, useReplica } from '.';
import { countListeners, createPage, useRenderCount } from '../test/harness';

describe('useReplica', () => {
  it('re-renders the component whose slice changed and not the one whose slice is untouched', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    const renders = { title: 0, cards: 0 };
    function Title() {
      renders.title = useRenderCount();
      return <p>{useReplica(feed, (s) => s.meta.title)}</p>;
    }
    function Cards() {
      renders.cards = useRenderCount();
      return <p>{useReplica(feed, (s) => s.cards).length} cards</p>;
    }
    render(
      <>
        <Title />
        <Cards />
      </>,
    );
    expect(renders).toEqual({ title: 1, cards: 1 });
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    await act(() => host!.actions.add('c2', 'two'));
    await run();
    expect(screen.getByText('2 cards')).toBeTruthy();
    expect(renders).toEqual({ title: 1, cards: 3 });
    await act(() => host!.actions.rename('Renamed'));
    await run();
    expect(screen.getByText('Renamed')).toBeTruthy();
    expect(renders).toEqual({ title: 2, cards: 3 });
  });

  it('keeps an object-returning selector from re-rendering while its fields are equal, with shallow', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    let renders = 0;
    function Summary() {
      renders = useRenderCount();
      const { title, count } = useReplica(feed, (s) => ({ title: s.meta.title, count: s.count }), shallow);
      return <p>{`${title}: ${count}`}</p>;
    }
    render(<Summary />);
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    expect(screen.getByText('Team board: 1')).toBeTruthy();
    const before = renders;
    await act(() => host!.actions.toggle('c1'));
    await run();
    expect(feed.getState().cards[0]?.done).toBe(true);
    expect(renders).toBe(before);
  });

  it('accepts a zustand useShallow selector without an equality function', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    let renders = 0;
    function Ids() {
      renders = useRenderCount();
      const ids = useReplica(feed, useShallow((s) => s.cards.map((c) => c.id)));
      return <p>{ids.join(',') || 'none'}</p>;
    }
    render(<Ids />);
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    expect(screen.getByText('c1')).toBeTruthy();
    const before = renders;
    await act(() => host!.actions.toggle('c1'));
    await run();
    expect(renders).toBe(before);
  });

  it('re-renders an object-returning selector without an equality function on each change, and never loops', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    let renders = 0;
    function Summary() {
      renders = useRenderCount();
      const { count } = useReplica(feed, (s) => ({ count: s.count }));
      return <p>{`count ${count}`}</p>;
    }
    render(<Summary />);
    expect(renders).toBe(1);
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    await act(() => host!.actions.toggle('c1'));
    await run();
    expect(screen.getByText('count 1')).toBeTruthy();
    expect(renders).toBe(3);
  });

  it('selects again when the selector depends on a prop that changes', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    await act(() => host!.actions.add('c1', 'one'));
    await act(() => host!.actions.add('c2', 'two'));
    await run();
    let pick: (id: string) => void = () => undefined;
    function Card({ id }: { id: string }) {
      return <p>{useReplica(feed, (s) => s.cards.find((c) => c.id === id)?.title ?? 'missing')}</p>;
    }
    function Picker() {
      const [id, setId] = useState('c1');
      pick = setId;
      return <Card id={id} />;
    }
    render(<Picker />);
    expect(screen.getByText('one')).toBeTruthy();
    act(() => pick('c2'));
    expect(screen.getByText('two')).toBeTruthy();
    act(() => pick('c3'));
    expect(screen.getByText('missing')).toBeTruthy();
  });

  it('subscribes once per component, in StrictMode too, and unsubscribes on unmount', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    const counted = countListeners(feed);
    let renders = 0;
    function Count() {
      renders = useRenderCount();
      return <p>{useReplica(counted.store, (s) => s.count)}</p>;
    }
    const { unmount } = render(
      <StrictMode>
        <Count />
      </StrictMode>,
    );
    expect(counted.live()).toBe(1);
    unmount();
    expect(counted.live()).toBe(0);
    const after = renders;
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    expect(feed.getState().count).toBe(1);
    expect(renders).toBe(after);
  });
});
