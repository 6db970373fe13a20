import { connect } from '@bgstore/forge';
import { reportDiagnostics } from '../../src';
import { notes } from './store';

export const replica = connect(notes);
// Named after its module key, from view.getContext().
reportDiagnostics({ store: notes.name, replica, ...(globalThis as { __report?: object }).__report });
