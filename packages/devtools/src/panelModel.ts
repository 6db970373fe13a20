// What a panel shows, computed once from the reports and drawn by the UI Kit and Custom UI panels.
import type { DevtoolsState } from './createDevtoolsClient';
import type { ModuleReport } from './diagnostics';

/** How a row should look. */
export type Tone = 'ok' | 'busy' | 'warn' | 'error';

/** One line of the panel: a title, a tone and labelled values. */
export interface PanelRow {
  key: string;
  title: string;
  badge: string;
  tone: Tone;
  cells: [label: string, value: string][];
}

/** The panel's content. */
export interface PanelModel {
  /** One row per store with a host: durability. */
  stores: PanelRow[];
  /** One row per module copy: hosts first. */
  modules: PanelRow[];
  /** Recent actions, newest first. */
  actions: PanelRow[];
  /** Divergences and laggards found by comparing replicas with their host. */
  warnings: string[];
}

const short = (epoch: string | null) => (epoch ? epoch.slice(-6) : '—');
const perMessage = (m: ModuleReport['messages']) => (m.sent ? String(Math.round(m.bytesSent / m.sent)) : '—');

function storageOf(m: ModuleReport): { badge: string; tone: Tone } {
  const d = m.durable;
  if (!d) return { badge: 'memory only', tone: 'ok' };
  // The installation's Forge quota is spent: not this page's fault, and nothing is lost meanwhile.
  if (d.throttledUntil !== undefined) return { badge: `throttled: ${d.unsaved} unsaved`, tone: 'warn' };
  if (d.error) return { badge: `retrying: ${d.error.code}`, tone: 'error' };
  if (d.saving || d.unsaved > 0) return { badge: 'saving', tone: 'busy' };
  return { badge: 'saved', tone: 'ok' };
}

function phaseTone(phase: string): Tone {
  if (phase === 'live') return 'ok';
  if (phase === 'connecting' || phase === 'loading' || phase === 'resyncing') return 'busy';
  if (phase === 'failed') return 'error';
  return 'warn';
}

/**
 * Turns reports into rows, and compares each replica with its host: a replica at the host's epoch
 * and version with another state hash has diverged; one behind it is lagging.
 */
export function panelModel(state: DevtoolsState): PanelModel {
  const hosts = state.modules.filter((m) => m.role === 'host');
  const warnings: string[] = [];
  for (const m of state.modules) {
    if (m.role !== 'replica') continue;
    const host = hosts.find((h) => h.store === m.store && h.epoch === m.epoch);
    if (!host) {
      if (m.phase === 'live' && hosts.some((h) => h.store === m.store)) warnings.push(`${m.module} follows another host boot (${short(m.epoch)})`);
      continue;
    }
    if (m.version === host.version && m.stateHash !== host.stateHash) warnings.push(`${m.module} diverges from the host at version ${m.version}`);
    else if (m.version !== null && host.version !== null && m.version < host.version) warnings.push(`${m.module} is ${host.version - m.version} version(s) behind the host`);
  }
  const stores = hosts.map((h) => {
    const s = storageOf(h);
    return {
      key: `store:${h.store}:${h.instance}`,
      title: h.store,
      badge: s.badge,
      tone: s.tone,
      cells: [
        ['revision', String(h.durable?.revision ?? '—')],
        ['unsaved', String(h.durable?.unsaved ?? 0)],
        ['last error', h.durable?.error ? h.durable.error.message : '—'],
        ...(h.durable?.throttledUntil === undefined ? [] : [['throttled until', new Date(h.durable.throttledUntil).toISOString()] as [string, string]]),
      ],
    } satisfies PanelRow;
  });
  const modules = state.modules.map((m) => {
    const cells: [string, string][] = [
      ['epoch', short(m.epoch)],
      ['version', String(m.version ?? '—')],
      [m.role === 'host' ? 'unsaved' : 'pending', String(m.pending)],
    ];
    if (m.role === 'replica') cells.push(['resyncs', m.resyncs ? `${m.resyncs} (last: ${m.lastResync?.reason ?? '?'})` : '0']);
    if (m.host) cells.push(['applied', String(m.host.intentsApplied)], ['refused', String(m.host.intentsRejected)], ['snapshots', String(m.host.snapshotsSent)], ['catch-ups', String(m.host.catchUpsSent)], ['rebases', String(m.host.rebases)]);
    cells.push(['bytes/msg', perMessage(m.messages)], ['revision', String(m.durable?.revision ?? '—')]);
    return { key: `${m.store}:${m.instance}`, title: `${m.module}${m.role === 'host' ? ' (host)' : ''}`, badge: m.phase, tone: phaseTone(m.phase), cells } satisfies PanelRow;
  });
  const actions = state.actions.map((a) => ({
    key: `${a.module}:${a.id}:${a.at}`,
    title: a.name,
    badge: a.outcome === 'refused' ? `refused ${a.code ?? ''}`.trim() : a.outcome,
    tone: (a.outcome === 'saved' ? 'ok' : a.outcome === 'pending' ? 'busy' : 'error') as Tone,
    cells: [
      ['by', a.module],
      ['latency', a.ms === undefined ? '…' : `${a.ms} ms`],
      ['bytes', String(a.bytes)],
    ] as [string, string][],
  }));
  return { stores, modules, actions, warnings };
}
