import { act, render, screen } from '@testing-library/react';
import { createStoreHooks, useActions, useReplica, useSyncStatus } from '.';
import { countListeners, createPage } from '../test/harness';

describe('useSyncStatus', () => {
  it('shows connecting until a host answers, then live, then closed', async () => {
    const { replica, startHost, run } = createPage({ host: false });
    const feed = replica();
    function Phase() {
      return <p>{useSyncStatus(feed, (s) => s.phase)}</p>;
    }
    render(<Phase />);
    expect(screen.getByText('connecting')).toBeTruthy();
    await run(1000);
    expect(screen.getByText('connecting')).toBeTruthy();
    startHost();
    await run(1000);
    expect(screen.getByText('live')).toBeTruthy();
    act(() => feed.close());
    expect(screen.getByText('closed')).toBeTruthy();
  });

  it('returns the whole status without a selector', async () => {
    const { replica, run } = createPage();
    const feed = replica();
    function Status() {
      const s = useSyncStatus(feed);
      return <p>{`${s.phase} v${s.version ?? '-'} pending ${s.pending}`}</p>;
    }
    render(<Status />);
    expect(screen.getByText('connecting v- pending 0')).toBeTruthy();
    await run();
    expect(screen.getByText('live v0 pending 0')).toBeTruthy();
  });

  it('unsubscribes from the status on unmount', async () => {
    const { replica, run } = createPage();
    const feed = replica();
    const sync = countListeners(feed.sync);
    function Phase() {
      return <p>{useSyncStatus({ sync: sync.store }, (s) => s.phase)}</p>;
    }
    const { unmount } = render(<Phase />);
    expect(sync.live()).toBe(1);
    unmount();
    expect(sync.live()).toBe(0);
    await run();
  });
});

describe('useActions', () => {
  it('sends an action from a click that reaches the host and every replica', async () => {
    const { host, replica, run } = createPage();
    const feed = replica('feed');
    const byline = replica('byline');
    await run();
    function AddButton() {
      const { add } = useActions(feed);
      const count = useReplica(feed, (s) => s.count);
      return <button onClick={() => void add('c1', 'from a button')}>{`${count} cards`}</button>;
    }
    function Byline() {
      return <p>{useReplica(byline, (s) => s.cards.map((c) => c.title).join(', ') || 'empty')}</p>;
    }
    render(
      <>
        <AddButton />
        <Byline />
      </>,
    );
    expect(screen.getByText('empty')).toBeTruthy();
    act(() => screen.getByRole('button').click());
    await run(100);
    expect(host!.getState().count).toBe(1);
    expect(screen.getByRole('button').textContent).toBe('1 cards');
    expect(screen.getByText('from a button')).toBeTruthy();
    expect(feed.getState()).toEqual(host!.getState());
    expect(byline.getState()).toEqual(host!.getState());
  });

  it('renders an optimistic action before the host answers', async () => {
    const { host, replica, run } = createPage({ optimistic: true });
    const feed = replica();
    await run();
    function Cards() {
      const { add } = useActions(feed);
      const pending = useSyncStatus(feed, (s) => s.pending);
      const count = useReplica(feed, (s) => s.count);
      return <button onClick={() => void add('c1', 'one')}>{`${count} cards, ${pending} pending`}</button>;
    }
    render(<Cards />);
    act(() => screen.getByRole('button').click());
    expect(screen.getByRole('button').textContent).toBe('1 cards, 1 pending');
    expect(host!.getState().count).toBe(0);
    await run(100);
    expect(screen.getByRole('button').textContent).toBe('1 cards, 0 pending');
  });

  it('returns the same actions object on every render', async () => {
    const { host, replica, run } = createPage();
    const feed = replica();
    await run();
    const seen = new Set<unknown>();
    function Count() {
      seen.add(useActions(feed));
      return <p>{useReplica(feed, (s) => s.count)}</p>;
    }
    render(<Count />);
    await act(() => host!.actions.add('c1', 'one'));
    await run();
    expect(screen.getByText('1')).toBeTruthy();
    expect(seen.size).toBe(1);
  });
});

describe('createStoreHooks', () => {
  it('binds the state, status and actions of one replica', async () => {
    const { host, replica, run } = createPage();
    const hooks = createStoreHooks(replica());
    function Board() {
      const count = hooks.useStore((s) => s.count);
      const version = hooks.useSyncStatus((s) => s.version);
      return <p>{`${count} @ ${version}`}</p>;
    }
    render(<Board />);
    await run();
    await act(() => hooks.actions.add('c1', 'one'));
    await run();
    expect(host!.getState().count).toBe(1);
    expect(screen.getByText('1 @ 1')).toBeTruthy();
  });

  it('usePending lists the bound replica’s unsettled calls of one action until they settle', async () => {
    const { replica, run } = createPage();
    const hooks = createStoreHooks(replica());
    await run();
    function Pending() {
      const adds = hooks.usePending('add');
      return <p>{adds.map((c) => c.args[1]).join(',') || 'none'}</p>;
    }
    render(<Pending />);
    expect(screen.getByText('none')).toBeTruthy();
    let call!: Promise<unknown>;
    act(() => void (call = hooks.actions.add('c1', 'one')));
    expect(screen.getByText('one')).toBeTruthy();
    await act(async () => {
      await run();
      await call;
    });
    expect(screen.getByText('none')).toBeTruthy();
  });
});
