// The sync inspector as a UI Kit component: render it in any module during development, or in a
// devtools module shown to admins.
import React from 'react';
import { Button, Heading, Inline, Lozenge, Stack, Strong, Text } from '@forge/react';
import type { PanelRow, Tone } from './panelModel';
import { usePanel, type DevtoolsPanelProps } from './usePanel';

export type { DevtoolsPanelProps } from './usePanel';

const APPEARANCE: Record<Tone, 'success' | 'inprogress' | 'moved' | 'removed'> = { ok: 'success', busy: 'inprogress', warn: 'moved', error: 'removed' };

function Row({ row }: { row: PanelRow }) {
  return (
    <Stack space="space.050">
      <Inline space="space.100" alignBlock="center">
        <Strong>{row.title}</Strong>
        <Lozenge appearance={APPEARANCE[row.tone]}>{row.badge}</Lozenge>
      </Inline>
      <Text>{row.cells.map(([label, value]) => `${label} ${value}`).join(' · ')}</Text>
    </Stack>
  );
}

/**
 * Every bgstore module on the page as UI Kit: phase, epoch, version, pending calls, resyncs and
 * their reasons, bytes per message; per store its durability; the last actions with their module,
 * outcome, latency and size; and divergences between replicas and their host. Modules appear once
 * they call `reportDiagnostics`.
 * @example
 * import { DevtoolsPanel } from '@bgstore/devtools/ui-kit';
 * ForgeReconciler.render(<DevtoolsPanel />);
 */
export function DevtoolsPanel({ client, options, title = 'bgstore devtools' }: DevtoolsPanelProps) {
  const { model, client: active } = usePanel(client, options);
  return (
    <Stack space="space.150">
      <Inline space="space.100" alignBlock="center">
        <Heading as="h3">{title}</Heading>
        <Button appearance="subtle" onClick={() => active?.refresh()}>
          Refresh
        </Button>
      </Inline>
      {model.warnings.map((w) => (
        <Lozenge key={w} appearance="removed">
          {w}
        </Lozenge>
      ))}
      {model.modules.length === 0 ? <Text>No module has reported yet: call reportDiagnostics() in each module.</Text> : null}
      {model.stores.map((row) => (
        <Row key={row.key} row={row} />
      ))}
      {model.modules.map((row) => (
        <Row key={row.key} row={row} />
      ))}
      {model.actions.length ? <Heading as="h4">Last actions</Heading> : null}
      {model.actions.map((row) => (
        <Row key={row.key} row={row} />
      ))}
    </Stack>
  );
}
