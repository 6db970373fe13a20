// A background script: the authoritative store. Tests hand in storage and options as globals.
import type { Persistence } from '@bgstore/core';
import { startHost } from '../../src';
import { board } from './store';

const g = globalThis as { __persistence?: Persistence<typeof board.initialState>; __hostOptions?: object };
export const host = startHost(board, { persistence: g.__persistence ?? false, heartbeatMs: 300, flushDelayMs: 50, ...g.__hostOptions });
