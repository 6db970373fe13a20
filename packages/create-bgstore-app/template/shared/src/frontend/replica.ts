import { connect } from '@bgstore/forge';
import { notes } from '../store';

/** This module's copy of the notes, kept in sync with the background script. */
export const replica = connect(notes, { optimistic: true });
