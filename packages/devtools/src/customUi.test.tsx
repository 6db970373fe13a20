/** @jest-environment jsdom */
import { act, fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { createHost, createReplica, defineStore, type Transport } from '@bgstore/core';
import { createEventBus, createManualClock, createRandom } from '@bgstore/emulator';
import { connectReduxDevtools, createDevtoolsClient, reportDiagnostics } from './index';
import { DevtoolsPanel } from './customUi';

// jsdom lacks structuredClone, which the core's stats() use.
globalThis.structuredClone ??= <T,>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const counter = defineStore({ name: 'counter', initialState: { n: 0 }, actions: { add: (d, by: number) => void (d.n += by) } });

function world() {
  const clock = createManualClock(1000);
  const bus = createEventBus({ clock, random: createRandom(1) });
  let n = 0;
  const transport = (name: string): Transport => {
    const member = { id: `${name}#${++n}`, moduleKey: name, appId: 'app' };
    return { emit: (e, p) => bus.emit(member, e, p), on: (e, h) => bus.subscribe(member, e, h) };
  };
  const host = createHost(counter, { transport: transport('bg'), clock });
  const replica = createReplica(counter, { transport: transport('feed'), clock });
  reportDiagnostics({ store: 'counter', host, module: 'background', transport: transport('bg'), now: clock.now });
  reportDiagnostics({ store: 'counter', replica, module: 'feed', transport: transport('feed'), now: clock.now });
  const timers: (() => void)[] = [];
  const client = createDevtoolsClient({ transport: transport('panel'), now: clock.now, setInterval: (fn) => timers.push(fn), clearInterval: () => undefined });
  return { clock, host, replica, client };
}

describe('the Custom UI devtools panel', () => {
  it('renders every reporting module and refreshes on demand', async () => {
    const { clock, replica, client } = world();
    await act(() => clock.advanceAsync(200));
    render(<DevtoolsPanel client={client} />);
    await act(() => clock.advanceAsync(10));
    expect(screen.getByText('background (host)')).toBeTruthy();
    expect(screen.getByText('feed')).toBeTruthy();
    await act(async () => {
      await replica.actions.add(2);
      await clock.advanceAsync(10);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await act(() => clock.advanceAsync(10));
    expect(screen.getByText('Last actions')).toBeTruthy();
    expect(screen.getByText('add')).toBeTruthy();
    expect(document.querySelector('[data-row="feed"]')!.textContent).toContain('version 1');
    client.close();
  });
});

describe('connectReduxDevtools', () => {
  it('sends each action with its outcome and each synced state to the extension', async () => {
    const { clock, replica } = world();
    await clock.advanceAsync(200);
    const sent: [string, unknown][] = [];
    const extension = { connect: () => ({ init: (s: unknown) => sent.push(['@@INIT', s]), send: (a: { type: string }, s: unknown) => sent.push([a.type, s]) }) };
    const stop = connectReduxDevtools(replica, { name: 'counter', extension });
    await replica.actions.add(3);
    await clock.advanceAsync(10);
    stop();
    expect(sent[0]).toEqual(['@@INIT', { n: 0 }]);
    expect(sent.map(([type]) => type)).toEqual(expect.arrayContaining(['add (pending)', 'add (saved)', 'sync']));
    expect(sent.at(-1)![1]).toEqual({ n: 3 });
  });
});
