// A background script with the default storage: the app's resolver over invoke.
import { startHost } from '../../src';
import { board } from './store';

const g = globalThis as { __hostOptions?: object };
export const host = startHost(board, { heartbeatMs: 300, flushDelayMs: 50, revisionCheckMs: 700, retryMinMs: 100, ...g.__hostOptions });
