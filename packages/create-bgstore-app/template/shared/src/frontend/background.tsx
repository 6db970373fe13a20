// The background script: holds the authoritative notes for every module on the page.
import React from 'react';
import ForgeReconciler from '@forge/react';
import { startHost } from '@bgstore/forge';
import { notes } from '../store';

startHost(notes);

ForgeReconciler.render(<React.Fragment />);
