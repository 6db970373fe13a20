import { createRealtimeHub, realtimeScope } from './realtime';

const flush = () => new Promise((r) => setImmediate(r));

describe('realtime hub', () => {
  it('delivers a publish to current subscribers of the same channel and scope only', async () => {
    const hub = createRealtimeHub();
    const got: unknown[] = [];
    await hub.subscribe('s', 'rev', (p) => got.push(['rev', p]));
    hub.subscribe('s', 'other', (p) => got.push(['other', p]));
    hub.subscribe('t', 'rev', (p) => got.push(['t', p]));
    hub.publish('s', 'rev', { revision: 3 });
    await flush();
    expect(got).toEqual([['rev', { revision: 3 }]]);
  });

  it('stops after unsubscribe', async () => {
    const hub = createRealtimeHub();
    const got: unknown[] = [];
    const sub = hub.subscribe('s', 'rev', (p) => got.push(p));
    await sub.unsubscribe();
    hub.publish('s', 'rev', 1);
    await flush();
    expect(got).toEqual([]);
  });

  it('scopes default channels per module and content, global ones per installation', () => {
    const feed = { installation: 'i', moduleKey: 'feed', context: { extension: { content: { id: '1' } } } };
    const bg = { ...feed, moduleKey: 'bg' };
    expect(realtimeScope(feed)).not.toBe(realtimeScope(bg));
    expect(realtimeScope({ ...feed, isGlobal: true })).toBe(realtimeScope({ ...bg, isGlobal: true }));
    expect(realtimeScope({ ...feed, context: { extension: { content: { id: '2' } } } })).not.toBe(realtimeScope(feed));
  });
});
