import { startHost } from '@bgstore/forge';
import { reportDiagnostics } from '../../src';
import { notes } from './store';

export const host = startHost(notes, { persistence: false });
reportDiagnostics({ store: notes.name, host });
