import { startHost } from '@bgstore/forge';
import { reportDiagnostics } from '../../src';
import { notes } from './store';

export const host = startHost(notes, { persistence: false });
// Extra options from the test, as the page's globals.
reportDiagnostics({ store: notes.name, host, ...(globalThis as { __report?: object }).__report });
