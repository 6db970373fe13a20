import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
