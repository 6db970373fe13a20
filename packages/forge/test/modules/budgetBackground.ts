// A background script for the #17.2 budget: the default host, or (`noSync`) one whose persistence
// has no `sync`, so it checks the revision and reloads the whole state as before #17.2.
import { createInvokePersistence, startHost } from '../../src';
import { board } from './store';

const g = globalThis as { __budget?: { noSync?: boolean; options?: object } };
const plain = createInvokePersistence(board);
const persistence = g.__budget?.noSync ? { load: plain.load, commit: plain.commit, revision: plain.revision } : undefined;
export const host = startHost(board, { ...g.__budget?.options, ...(persistence ? { persistence } : {}) });
