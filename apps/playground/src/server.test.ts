import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type QuotaSnapshot } from '@bgstore/emulator';
import { startPlayground } from './server';

describe('the playground server', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bgstore-server-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('#14 takes a free port when the one asked for is busy, and says which one it found busy', async () => {
    const first = await startPlayground({ port: 0, dataDir: join(dataDir, 'a') });
    const port = Number(new URL(first.url).port);
    const second = await startPlayground({ port, dataDir: join(dataDir, 'b') });
    try {
      expect(second.busy).toBe(port);
      expect(second.url).not.toBe(first.url);
      expect((await fetch(second.url)).status).toBe(200);
      await expect(startPlayground({ port, fallback: false, dataDir: join(dataDir, 'c') })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('#17.1 meters every tab as one installation: 300 invocations a second, then 429 RATE_LIMIT_EXCEEDED, counted at /quota', async () => {
    const clock = createManualClock();
    const playground = await startPlayground({ port: 0, dataDir: join(dataDir, 'quota'), clock });
    const invoke = (accountId: string) =>
      fetch(new URL('/invoke', playground.url), { method: 'POST', body: JSON.stringify({ event: { call: { functionKey: 'bgstore.revision', payload: { store: 'none' } }, context: {} }, runtime: { principal: { accountId } } }) });
    try {
      for (let i = 0; i < 300; i++) expect((await invoke(`user-${i % 3}`)).status).not.toBe(429);
      const refused = await invoke('someone-else');
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', resetsAt: 1000 });
      const meter = (await (await fetch(new URL('/quota', playground.url))).json()) as QuotaSnapshot;
      expect(meter).toMatchObject({ enforcing: true, totals: { invocations: 300 }, throttled: { invocationsPerSecond: 1 } });
      clock.advance(1000);
      expect((await invoke('someone-else')).status).not.toBe(429);
    } finally {
      await playground.close();
    }
  });
});
