import { DIAGNOSTIC_VERSION, type ModuleReport } from './diagnostics';
import { panelModel } from './panelModel';

const report = (over: Partial<ModuleReport>): ModuleReport => ({
  bgstoreDevtools: DIAGNOSTIC_VERSION,
  to: 'panel',
  module: 'feed',
  instance: over.module ?? 'x',
  role: 'replica',
  store: 'board',
  at: 0,
  phase: 'live',
  epoch: 'e1',
  version: 4,
  pending: 0,
  resyncs: 0,
  lastResync: null,
  messages: { sent: 4, bytesSent: 400, received: 9 },
  durable: { revision: 3, unsaved: 0, saving: false, error: null },
  stateHash: 'aaaa',
  actions: [],
  ...over,
});

describe('panelModel', () => {
  it('flags a replica at the host version with another state as diverged, and one behind as lagging', () => {
    const host = report({ module: 'background', role: 'host', version: 5, stateHash: 'bbbb' });
    const model = panelModel({
      modules: [host, report({ module: 'board', version: 5, stateHash: 'cccc' }), report({ module: 'summary', version: 3 }), report({ module: 'byline', version: 5, stateHash: 'bbbb' })],
      actions: [],
      updatedAt: 0,
    });
    expect(model.warnings).toEqual(['board diverges from the host at version 5', 'summary is 2 version(s) behind the host']);
  });

  it('shows durability per store, resync reasons and bytes per message per module', () => {
    const model = panelModel({
      modules: [
        report({ module: 'background', role: 'host', durable: { revision: 7, unsaved: 2, saving: true, error: { code: 'STORAGE_FAILED', message: 'KVS is down' } } }),
        report({ module: 'board', resyncs: 2, lastResync: { reason: 'gap', at: 1 }, phase: 'resyncing' }),
      ],
      actions: [],
      updatedAt: 0,
    });
    expect(model.stores).toEqual([expect.objectContaining({ title: 'board', badge: 'retrying: STORAGE_FAILED', tone: 'error', cells: [['revision', '7'], ['unsaved', '2'], ['last error', 'KVS is down']] })]);
    expect(model.modules[1]).toMatchObject({ title: 'board', badge: 'resyncing', tone: 'busy' });
    expect(model.modules[1]!.cells).toEqual(expect.arrayContaining([['resyncs', '2 (last: gap)'], ['bytes/msg', '100']]));
  });
});
