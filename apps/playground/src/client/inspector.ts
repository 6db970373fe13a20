// The sync inspector beside the feeds: what each module's copy of the store is doing, and buttons
// that inject the emulator's faults so a person can watch recovery.
import type { Page } from '@bgstore/emulator';

interface ReplicaLike {
  sync: { getState(): { phase: string; epoch: string | null; version: number | null; pending: number; resyncs: number; lastResync: { reason: string } | null; durable: { revision: number; unsaved: number; saving: boolean; error: { message: string } | null } | null } };
  stats(): { patchesApplied: number; channel: { bytesSent: number; received: number } };
}
interface HostLike {
  epoch: string;
  version(): number;
  stats(): { phase: string; intentsApplied: number; snapshotsSent: number; catchUpsSent: number; rebases: number; durable: { revision: number; unsaved: number; saving: boolean; error: { message: string } | null } | null; channel: { sent: number; bytesSent: number } };
}

const short = (epoch: string | null) => (epoch ? epoch.slice(-6) : '—');

function row(label: string, values: Record<string, string | number>): string {
  const cells = Object.entries(values)
    .map(([k, v]) => `<span class="cell"><b>${k}</b> ${String(v)}</span>`)
    .join('');
  return `<div class="row" data-row="${label}"><span class="name">${label}</span>${cells}</div>`;
}

/** Renders the inspector into `root` and keeps it current. */
export function startInspector(page: Page, root: HTMLElement): void {
  const log: string[] = [];
  const note = (text: string) => {
    log.unshift(`${new Date().toLocaleTimeString()} ${text}`);
    log.length = Math.min(log.length, 8);
  };
  const faultFor = (ms: number, text: string, faults: Parameters<Page['setEventFaults']>[0]) => {
    page.setEventFaults(faults);
    note(`${text} for ${ms / 1000} s`);
    setTimeout(() => {
      page.setEventFaults(undefined);
      note('events back to normal');
    }, ms);
  };
  root.innerHTML = `
    <h2>Sync inspector</h2>
    <div class="rows"></div>
    <div class="faults">
      <button data-fault="drop">Drop half the events (10 s)</button>
      <button data-fault="delay">Delay and reorder events (10 s)</button>
      <button data-fault="restart">Restart the background script</button>
    </div>
    <ol class="log"></ol>`;
  root.querySelector('[data-fault="drop"]')!.addEventListener('click', () => faultFor(10_000, 'dropping half the events', { drop: 0.5 }));
  root.querySelector('[data-fault="delay"]')!.addEventListener('click', () => faultFor(10_000, 'delaying events 0–800 ms', { delay: [0, 800], reorder: 0.3 }));
  root.querySelector('[data-fault="restart"]')!.addEventListener('click', () => {
    note('background script restarted');
    void page.restart('background');
  });

  const draw = () => {
    const rows: string[] = [];
    try {
      const host = (page.module('background').exports as { host?: HostLike } | undefined)?.host;
      if (host) {
        const s = host.stats();
        rows.push(
          row('background (host)', {
            epoch: short(host.epoch),
            version: host.version(),
            applied: s.intentsApplied,
            'bytes/msg': s.channel.sent ? Math.round(s.channel.bytesSent / s.channel.sent) : 0,
            snapshots: s.snapshotsSent,
            'catch-ups': s.catchUpsSent,
            rebases: s.rebases,
            revision: s.durable?.revision ?? '—',
            unsaved: s.durable?.unsaved ?? 0,
            storage: s.durable?.error ? 'retrying' : s.durable?.saving ? 'saving' : 'saved',
          }),
        );
      }
      for (const key of ['board', 'summary', 'byline']) {
        const replica = (page.module(key).exports as { replica?: ReplicaLike } | undefined)?.replica;
        if (!replica) continue;
        const s = replica.sync.getState();
        rows.push(
          row(key, {
            phase: s.phase,
            epoch: short(s.epoch),
            version: s.version ?? '—',
            pending: s.pending,
            resyncs: s.resyncs,
            'last resync': s.lastResync?.reason ?? '—',
            patches: replica.stats().patchesApplied,
            revision: s.durable?.revision ?? '—',
          }),
        );
      }
    } catch {
      // A module restarting has no exports for a moment; the next tick shows it again.
    }
    const bus = page.bus.stats();
    rows.push(row('event bus', { emitted: bus.emitted, delivered: bus.delivered, dropped: bus.dropped, delayed: bus.delayed, bytes: bus.bytes }));
    root.querySelector('.rows')!.innerHTML = rows.join('');
    root.querySelector('.log')!.innerHTML = log.map((l) => `<li>${l}</li>`).join('');
  };
  draw();
  setInterval(draw, 300);
}
