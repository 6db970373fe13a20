import { createMemoryKvsBackend, type KvsOp } from './store';

const put = (key: string, value: unknown, namespace = 'kv'): KvsOp => ({ type: 'put', namespace, key, record: { value, createdAt: 1, updatedAt: 2 } });

describe('memory KVS backend', () => {
  it('applies puts and deletes and bumps the version once per apply', () => {
    const b = createMemoryKvsBackend();
    b.apply([put('a', 1), put('b', 2), { type: 'delete', namespace: 'kv', key: 'a' }]);
    expect(b.get('kv', 'a')).toBeUndefined();
    expect(b.get('kv', 'b')).toEqual({ value: 2, createdAt: 1, updatedAt: 2 });
    expect(b.version()).toBe(1);
    b.apply([]);
    expect(b.version()).toBe(1);
  });

  it('lists one namespace sorted by key, optionally by prefix', () => {
    const b = createMemoryKvsBackend();
    b.apply([put('b', 1), put('a:2', 1), put('a:1', 1), put('x', 1, 'secret')]);
    expect(b.list('kv').map((e) => e.key)).toEqual(['a:1', 'a:2', 'b']);
    expect(b.list('kv', 'a:').map((e) => e.key)).toEqual(['a:1', 'a:2']);
    expect(b.namespaces()).toEqual(['kv', 'secret']);
  });

  it('applies nothing when one op is invalid', () => {
    const b = createMemoryKvsBackend();
    expect(() => b.apply([put('a', 1), { type: 'put', namespace: 'kv', key: 'b', record: { value: undefined, createdAt: 0, updatedAt: 0 } }])).toThrow(TypeError);
    expect(b.get('kv', 'a')).toBeUndefined();
    expect(b.version()).toBe(0);
  });

  it('hands out copies that cannot change what is stored', () => {
    const b = createMemoryKvsBackend();
    const value = { n: 1 };
    b.apply([put('a', value)]);
    value.n = 2;
    (b.get('kv', 'a')!.value as { n: number }).n = 3;
    expect(b.get('kv', 'a')!.value).toEqual({ n: 1 });
  });
});
