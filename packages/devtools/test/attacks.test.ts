// Attacks on diagnostics (issue 18): a module of the same app on the page can emit any request on
// the diagnostic event. Reporters must stay cheap, off in production unless the app opts in, and
// never echo more than a valid id.
import { createManualClock, createPage, createSite, type ModuleSpec } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION, reportDiagnostics, type ModuleReport } from '../src';

function setup(options: { environmentType?: 'DEVELOPMENT' | 'PRODUCTION'; report?: object } = {}) {
  const clock = createManualClock(1_000_000);
  const globals = { __report: options.report };
  const modules: ModuleSpec[] = [
    { key: 'background', type: 'confluence:backgroundScript', entry: require.resolve('./modules/background.ts'), globals },
    { key: 'feed-a', type: 'confluence:homepageFeed', entry: require.resolve('./modules/feed.ts'), globals },
  ];
  const site = createSite({ clock, environmentType: options.environmentType });
  const page = createPage({ site, realm: createNodeRealm, modules });
  // The rogue: a member of the same app on the page's bus, asking and listening.
  const rogue = { id: 'rogue', moduleKey: 'rogue', appId: site.appId };
  const reports: ModuleReport[] = [];
  page.bus.subscribe(rogue, DIAGNOSTIC_REPORT, (r) => void reports.push(r as ModuleReport));
  const ask = (from: unknown, actions: unknown = 20) => page.bus.emit(rogue, DIAGNOSTIC_REQUEST, { bgstoreDevtools: DIAGNOSTIC_VERSION, from, actions });
  return { clock, page, reports, ask };
}

describe('#18 diagnostics under a hostile module', () => {
  it('#18.10 a flood of 200 requests in a second: each module answers at most 2 a second, and a panel asking later is answered', async () => {
    const t = setup();
    try {
      await t.page.start(['background', 'feed-a']);
      await t.clock.advanceAsync(1000);
      for (let i = 0; i < 200; i++) {
        t.ask(`flood-${i}`);
        await t.clock.advanceAsync(5);
      }
      const perModule = (module: string) => t.reports.filter((r) => r.module === module).length;
      process.stdout.write(`#18.10 answers to 200 requests in 1 s: background ${perModule('background')}, feed-a ${perModule('feed-a')}\n`);
      expect(perModule('background')).toBeGreaterThan(0);
      expect(perModule('background')).toBeLessThanOrEqual(2);
      expect(perModule('feed-a')).toBeLessThanOrEqual(2);
      // The flood stops: a request a second later is answered by both.
      await t.clock.advanceAsync(1000);
      t.reports.length = 0;
      t.ask('panel-late');
      await t.clock.advanceAsync(10);
      expect(t.reports.map((r) => `${r.module} ${r.to}`).sort()).toEqual(['background panel-late', 'feed-a panel-late']);
    } finally {
      t.page.close();
    }
  });

  it('#18.10 reporting is off in a production environment unless the app opts in', async () => {
    for (const [report, answered] of [
      [undefined, false],
      [{ production: true }, true],
    ] as const) {
      const t = setup({ environmentType: 'PRODUCTION', report });
      try {
        await t.page.start(['background', 'feed-a']);
        await t.clock.advanceAsync(1000);
        t.ask('panel-1');
        await t.clock.advanceAsync(10);
        expect(t.reports.length > 0).toBe(answered);
      } finally {
        t.page.close();
      }
    }
  });

  it('#18.10 hashes the state once per state, however often it is asked', async () => {
    const listeners = new Set<(p: unknown) => void>();
    const transport = { emit: (_e: string, p: unknown) => void listeners.forEach((l) => l(p)), on: (_e: string, l: (p: unknown) => void) => (listeners.add(l), () => listeners.delete(l)) };
    let keysRead = 0;
    const plain = { notes: Array.from({ length: 2000 }, (_, i) => `note ${i} `.repeat(5)) };
    let state: object = new Proxy(plain, { ownKeys: (o) => (keysRead++, Reflect.ownKeys(o)) });
    let now = 0;
    const answers: ModuleReport[] = [];
    const replica = { getState: () => state, actions: {}, sync: { getState: () => ({ phase: 'live', epoch: 'e', version: 1, pending: 0, resyncs: 0, lastResync: null, durable: null }), subscribe: () => () => undefined }, stats: () => ({ channel: { sent: 0, bytesSent: 0, received: 0 } }) };
    const reporter = reportDiagnostics({ store: 'notes', module: 'feed', replica: replica as never, transport, now: () => now, trackActions: false });
    const ask = () => {
      for (const l of listeners) l({ bgstoreDevtools: DIAGNOSTIC_VERSION, from: 'panel-1', actions: 0 });
    };
    listeners.add((p) => void ((p as ModuleReport).to && answers.push(p as ModuleReport)));
    await new Promise((r) => setTimeout(r, 0)); // the reporter learns its environment (none here: not in Forge)
    for (let s = 0; s < 5; s++) {
      ask();
      now += 1000;
    }
    expect(answers).toHaveLength(5);
    expect(keysRead).toBe(1);
    state = { ...plain, notes: [...plain.notes, 'one more'] };
    ask();
    expect(answers.at(-1)!.stateHash).not.toBe(answers[0]!.stateHash);
    reporter.close();
  });

  it('#18.11 answers only a request whose `from` is a valid id (≤ 64 id characters); nothing else is echoed', async () => {
    const t = setup();
    try {
      await t.page.start(['background', 'feed-a']);
      await t.clock.advanceAsync(1000);
      for (const from of ['x'.repeat(1_000_000), 'p'.repeat(65), '', 'panel 1<script>', 42, null]) {
        t.ask(from);
        await t.clock.advanceAsync(1000);
      }
      t.ask('panel-1', 1e9);
      await t.clock.advanceAsync(1000);
      expect(t.reports.map((r) => `${r.module} ${r.to.slice(0, 70)} (${r.to.length})`).sort()).toEqual(['background panel-1 (7)', 'feed-a panel-1 (7)']);
      expect(t.reports.every((r) => r.actions.length <= 50)).toBe(true);
      expect(Math.max(...t.reports.map((r) => JSON.stringify(r).length))).toBeLessThan(4000);
    } finally {
      t.page.close();
    }
  });
});
