// The bench's background script: startHost as an app writes it, options from the realm's globals.
import { startHost, type StartHostOptions } from '@bgstore/forge';
import { notes } from './store';

declare const benchHostOptions: StartHostOptions<{ notes: string[] }> | undefined;

export const host = startHost(notes, typeof benchHostOptions === 'undefined' ? {} : benchHostOptions);
