import { connect } from '@bgstore/forge';
import { poll } from '../store';

/** This module's copy of the poll, kept in sync with the background script. */
export const replica = connect(poll);
