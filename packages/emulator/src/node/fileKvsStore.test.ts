import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kvs } from '@forge/kvs';
import { createManualClock } from '../clock';
import { createKvsFetch } from '../kvs/forgeFetch';
import type { KvsOp } from '../kvs/store';
import { createFileKvsBackend } from './fileKvsStore';

const g = globalThis as { __forge_fetch__?: unknown };
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvs-file-'));
  file = path.join(dir, 'kvs.log');
});

afterEach(() => {
  delete g.__forge_fetch__;
  fs.rmSync(dir, { recursive: true, force: true });
});

const put = (key: string, value: unknown): KvsOp => ({ type: 'put', namespace: 'kv', key, record: { value, createdAt: 0, updatedAt: 0 } });

describe('file KVS backend', () => {
  it('survives a restart through the real @forge/kvs', async () => {
    const first = createFileKvsBackend(file);
    g.__forge_fetch__ = createKvsFetch({ backend: first, clock: createManualClock() });
    await kvs.set('a', { n: 1 });
    await kvs.setSecret('s', 'x');
    await kvs.transact().set('b', 2).set('c', 3).execute();
    await kvs.delete('c');
    first.close();

    const second = createFileKvsBackend(file);
    const fetch = createKvsFetch({ backend: second, clock: createManualClock() });
    g.__forge_fetch__ = fetch;
    expect(await kvs.get('a')).toEqual({ n: 1 });
    expect(fetch.dump()).toEqual({ kv: { a: { n: 1 }, b: 2 }, secret: { s: 'x' } });
    expect(second.version()).toBe(first.version());
    second.close();
  });

  it('recovers from a torn last write without losing committed data', () => {
    const b = createFileKvsBackend(file);
    b.apply([put('a', 1)]);
    b.apply([put('b', 2), put('c', 3)]);
    b.close();
    const committed = fs.readFileSync(file);
    // A crash during the next append leaves part of a line behind.
    fs.appendFileSync(file, '1234abcd {"v":3,"ops":[{"type":"put","namespace":"kv","key":"d","rec');

    const reopened = createFileKvsBackend(file);
    expect(reopened.list('kv').map((e) => [e.key, e.record.value])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(reopened.get('kv', 'd')).toBeUndefined();
    expect(fs.readFileSync(file)).toEqual(committed);
    reopened.apply([put('d', 4)]);
    reopened.close();
    expect(createFileKvsBackend(file).get('kv', 'd')?.value).toBe(4);
  });

  it('drops a complete last line whose checksum does not match', () => {
    const b = createFileKvsBackend(file);
    b.apply([put('a', 1)]);
    b.apply([put('b', 2)]);
    b.close();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, -3) + 'X}\n');
    const reopened = createFileKvsBackend(file);
    expect(reopened.get('kv', 'a')?.value).toBe(1);
    expect(reopened.get('kv', 'b')).toBeUndefined();
    reopened.close();
  });

  it('refuses a file corrupted before its last commit', () => {
    const b = createFileKvsBackend(file);
    b.apply([put('a', 1)]);
    b.apply([put('b', 2)]);
    b.close();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"a"', '"z"'));
    expect(() => createFileKvsBackend(file)).toThrow(/corrupt/);
  });

  it('compacts the log into a snapshot that loads the same data', () => {
    const b = createFileKvsBackend(file, { compactAfter: 5 });
    for (let i = 0; i < 20; i++) b.apply([put('counter', i)]);
    b.apply([put('other', 'x')]);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(10);
    expect(fs.readdirSync(dir)).toEqual(['kvs.log']);
    const version = b.version();
    b.close();
    const reopened = createFileKvsBackend(file);
    expect(reopened.get('kv', 'counter')?.value).toBe(19);
    expect(reopened.get('kv', 'other')?.value).toBe('x');
    expect(reopened.version()).toBe(version);
    reopened.close();
  });

  it('writes nothing for an invalid op', () => {
    const b = createFileKvsBackend(file);
    expect(() => b.apply([put('a', 1), { type: 'put', namespace: '', key: 'b', record: { value: 1, createdAt: 0, updatedAt: 0 } }])).toThrow(TypeError);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    b.close();
  });

  it('creates the file and its missing directories', () => {
    const nested = path.join(dir, 'a', 'b', 'kvs.log');
    const b = createFileKvsBackend(nested);
    b.apply([put('k', 1)]);
    b.close();
    const again = createFileKvsBackend(nested);
    expect(again.get('kv', 'k')?.value).toBe(1);
    again.close();
  });
});
