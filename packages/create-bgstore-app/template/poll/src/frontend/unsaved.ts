import { useSyncStatus } from '@bgstore/react';
import { replica } from './replica';

/**
 * Whether what this module shows includes changes storage has not accepted yet. Actions show at
 * once on every module of the page; the server's policy may still refuse one, and then it is
 * undone. Modules say so instead of passing the guess off as the truth.
 */
export const useUnsaved = () => useSyncStatus(replica, (s) => (s.durable?.unsaved ?? 0) > 0 || !!s.durable?.saving);
