import React from 'react';
import ForgeReconciler from '@forge/react';
import { DevtoolsPanel } from '../../src/uiKit';

ForgeReconciler.render(<DevtoolsPanel options={{ intervalMs: 500 }} />);
