import { cutRefusal, errorText, LIMITS, SyncError, toSyncError } from '.';

describe('#20 one error coercion', () => {
  it('keeps a SyncError as it is, from any realm, and wraps anything else with its cause', () => {
    const busy = new SyncError('STORAGE_BUSY', '[bgstore] busy');
    expect(toSyncError(busy, 'STORAGE_FAILED', 'storage failed')).toBe(busy);
    const foreign = Object.assign(new Error('[bgstore] no'), { name: 'SyncError', code: 'UNAUTHORIZED' });
    expect(toSyncError(foreign)).toBe(foreign);
    const boom = new TypeError('boom');
    const wrapped = toSyncError(boom, 'STORAGE_FAILED', 'storage failed');
    expect(wrapped).toMatchObject({ code: 'STORAGE_FAILED', message: '[bgstore] storage failed: boom', cause: boom });
    expect(toSyncError('text', 'ACTION_FAILED')).toMatchObject({ code: 'ACTION_FAILED', message: '[bgstore] failed: text' });
    expect(errorText({ toString: () => 'odd' })).toBe('odd');
  });

  it('cuts a refusal to what a client table keeps', () => {
    expect(cutRefusal('short')).toBe('short');
    const cut = cutRefusal('x'.repeat(LIMITS.refusalMessage + 10));
    expect(cut).toHaveLength(LIMITS.refusalMessage);
    expect(cut.endsWith('…')).toBe(true);
  });
});
