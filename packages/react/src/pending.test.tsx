// #21 usePending over a store whose reset is held until stored: the module that asked shows it as
// pending, no module shows its effect before storage accepted it, and a refused one never shows.
import { act, render, screen } from '@testing-library/react';
import { createHost, createReplica, type Persistence } from '@bgstore/core';
import { usePending, useReplica } from '.';
import { useRenderCount } from '../test/harness';
import { heldPoll, onlyAdminsReset, policedStorage, type Poll } from '../../core/test/heldPoll';
import { createWorld } from '../../core/test/world';

/** A page as bob: the background script on `storage`, a poll module and a byline, rendered; every byline text recorded. */
async function renderPoll(storage: Persistence<Poll>) {
  const w = createWorld();
  const caller = { accountId: 'bob' };
  const host = createHost(heldPoll, { transport: w.transport('bg'), clock: w.clock, persistence: storage, caller });
  const feed = createReplica(heldPoll, { transport: w.transport('feed'), clock: w.clock, caller });
  const byline = createReplica(heldPoll, { transport: w.transport('byline'), clock: w.clock, caller });
  const bylines: string[] = [];
  const outcome: string[] = [];
  const renders = { poll: 0 };
  function PollModule() {
    renders.poll = useRenderCount();
    const resets = usePending(feed, 'reset');
    const votes = useReplica(feed, (s) => Object.keys(s.votes).length);
    const reset = () => feed.actions.reset().then(() => outcome.push('reset'), (e: Error) => outcome.push(e.message));
    return (
      <div>
        <p>{`${votes} votes`}</p>
        <button onClick={reset}>Reset</button>
        {resets.length ? <p>Reset requested — waiting for the server</p> : null}
      </div>
    );
  }
  function Byline() {
    const text = useReplica(byline, (s) => `${Object.keys(s.votes).length} on the byline`);
    bylines.push(text);
    return <p>{text}</p>;
  }
  render(
    <>
      <PollModule />
      <Byline />
    </>,
  );
  const run = (ms: number) => act(() => w.run(ms));
  await run(1000);
  let vote!: Promise<void>;
  act(() => void (vote = feed.actions.vote('Tea')));
  await run(1000);
  await vote;
  bylines.length = 0;
  return { run, bylines, outcome, renders, close: () => act(() => [host, feed, byline].forEach((p) => p.close())) };
}

describe('#21 usePending', () => {
  it('#21 a held reset by a non-admin never shows on any module: pending on the one that asked, then refused', async () => {
    const page = await renderPoll(policedStorage(onlyAdminsReset));
    act(() => screen.getByRole('button').click());
    expect(screen.getByText('Reset requested — waiting for the server')).toBeTruthy();
    expect(screen.getByText('1 votes')).toBeTruthy();
    await page.run(2000);
    expect(page.outcome).toEqual(['[bgstore] poll.reset: only poll admins reset the poll']);
    expect(screen.queryByText('Reset requested — waiting for the server')).toBeNull();
    expect(screen.getByText('1 votes')).toBeTruthy();
    expect(page.bylines.filter((t) => t !== '1 on the byline')).toEqual([]);
    page.close();
  });

  it('#21 a held action shows as pending and then applies once stored', async () => {
    const page = await renderPoll(policedStorage(() => true));
    act(() => screen.getByRole('button').click());
    await page.run(50);
    expect(screen.getByText('Reset requested — waiting for the server')).toBeTruthy();
    expect(screen.getByText('1 on the byline')).toBeTruthy();
    const renders = page.renders.poll;
    await page.run(100);
    // Beats and status messages meanwhile do not re-render a module that shows the pending list.
    expect(page.renders.poll).toBe(renders);
    await page.run(1000);
    expect(page.outcome).toEqual(['reset']);
    expect(screen.queryByText('Reset requested — waiting for the server')).toBeNull();
    expect(screen.getByText('0 votes')).toBeTruthy();
    expect(screen.getByText('0 on the byline')).toBeTruthy();
    page.close();
  });
});
