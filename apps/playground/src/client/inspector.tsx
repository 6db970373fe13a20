// The sync inspector beside the feeds: @bgstore/devtools' panel — what each module's copy of the
// store is doing, as on a real site — plus the event bus counters and buttons that inject the
// emulator's faults so a person can watch recovery.
import React from 'react';
import { createRoot } from 'react-dom/client';
import type { Transport } from '@bgstore/core';
import { createDevtoolsClient } from '@bgstore/devtools';
import { DevtoolsPanel } from '@bgstore/devtools/custom-ui';
import type { EventFaults, Page, QuotaSnapshot } from '@bgstore/emulator';

// The inspector asks on the page's bus like any devtools panel; the fault buttons spare its own
// questions and answers, since they are not the app's traffic.
const INSPECTOR = 'inspector';
const spareInspector = (faults: EventFaults): EventFaults => ({ ...faults, links: { [`${INSPECTOR}->*`]: { drop: 0 }, [`*->${INSPECTOR}`]: { drop: 0 }, ...faults.links } });

/** Renders the inspector into `root` and keeps it current. */
export function startInspector(page: Page, root: HTMLElement): void {
  const member = { id: `${page.id}/${INSPECTOR}`, moduleKey: INSPECTOR, appId: page.site.appId };
  const transport: Transport = { emit: (event, payload) => page.bus.emit(member, event, payload), on: (event, handler) => page.bus.subscribe(member, event, handler) };
  const client = createDevtoolsClient({ transport, intervalMs: 500, actions: 8 });

  const log: string[] = [];
  const note = (text: string) => {
    log.unshift(`${new Date().toLocaleTimeString()} ${text}`);
    log.length = Math.min(log.length, 8);
  };
  const faultFor = (ms: number, text: string, faults: EventFaults) => {
    page.setEventFaults(spareInspector(faults));
    note(`${text} for ${ms / 1000} s`);
    setTimeout(() => {
      page.setEventFaults(undefined);
      note('events back to normal');
    }, ms);
  };
  root.innerHTML = `
    <div class="devtools"></div>
    <div class="row bus"></div>
    <div class="row quota"></div>
    <div class="faults">
      <button data-fault="drop">Drop half the events (10 s)</button>
      <button data-fault="delay">Delay and reorder events (10 s)</button>
      <button data-fault="restart">Restart the background script</button>
    </div>
    <ol class="log"></ol>`;
  createRoot(root.querySelector('.devtools')!).render(<DevtoolsPanel client={client} title="Sync inspector" />);
  root.querySelector('[data-fault="drop"]')!.addEventListener('click', () => faultFor(10_000, 'dropping half the events', { drop: 0.5 }));
  root.querySelector('[data-fault="delay"]')!.addEventListener('click', () => faultFor(10_000, 'delaying events 0–800 ms', { delay: [0, 800], reorder: 0.3 }));
  root.querySelector('[data-fault="restart"]')!.addEventListener('click', () => {
    note('background script restarted');
    void page.restart('background');
  });

  // The app's traffic only: the inspector's own questions and answers are left out.
  const cells = { delivered: 0, dropped: 0, delayed: 0, duplicated: 0, bytes: 0 };
  page.bus.observe((r) => {
    if (r.event.startsWith('bgstore:devtools:')) return;
    if (r.fate === 'gone') return;
    cells[r.fate]++;
    if (r.fate !== 'dropped') cells.bytes += r.bytes;
  });
  const draw = () => {
    root.querySelector('.bus')!.innerHTML = `<span class="name">event bus</span>${Object.entries(cells)
      .map(([k, v]) => `<span class="cell"><b>${k}</b> ${v}</span>`)
      .join('')}`;
    root.querySelector('.log')!.innerHTML = log.map((l) => `<li>${l}</li>`).join('');
  };
  draw();
  setInterval(draw, 300);
  drawQuota(page, root.querySelector('.quota')!);
}

/** The installation's quota windows (the server's storage and invocations, this tab's Realtime) and what was throttled. */
function drawQuota(page: Page, el: Element) {
  const cell = (name: string, w: { used: number; limit: number }) => `<span class="cell"><b>${name}</b> ${w.used}/${w.limit}</span>`;
  const refresh = async () => {
    const server = (await fetch('/quota').then((r) => r.json())) as QuotaSnapshot;
    const tab = page.site.quota.snapshot();
    const throttled = Object.values(server.throttled).reduce((a, b) => a + (b ?? 0), 0) + Object.values(tab.throttled).reduce((a, b) => a + (b ?? 0), 0);
    const w = server.windows;
    el.innerHTML = `<span class="name">quota${server.enforcing ? '' : ' (counting only)'}</span>${[
      cell('KVS req/s', w.kvsRequests),
      cell('read units/min', w.kvsReadUnits),
      cell('write units/min', w.kvsWriteUnits),
      cell('invokes/s', w.invocationsPerSecond),
      cell('invokes/min', w.invocationsPerMinute),
      cell('realtime/s (tab)', tab.windows.realtimeOps),
    ].join('')}<span class="cell"><b>throttled</b> ${throttled}</span>`;
  };
  setInterval(() => void refresh().catch(() => undefined), 1000);
}
