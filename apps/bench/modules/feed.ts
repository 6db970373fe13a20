// A bench feed: connect as an app writes it.
import { connect } from '@bgstore/forge';
import { notes } from './store';

export const replica = connect(notes, { optimistic: true });
