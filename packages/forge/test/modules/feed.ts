// A feed (or byline): a replica, exposed for the test to drive.
import { connect } from '../../src';
import { board } from './store';

const g = globalThis as { __optimistic?: boolean };
export const replica = connect(board, { optimistic: g.__optimistic ?? false, retryMs: 200, helloMinMs: 50, gapHoldMs: 50, hostSilenceMs: 1500 });
