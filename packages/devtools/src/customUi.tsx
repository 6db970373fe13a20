// The sync inspector as a React DOM component, for a Custom UI module (and the playground).
import React from 'react';
import type { PanelRow, Tone } from './panelModel';
import { usePanel, type DevtoolsPanelProps } from './usePanel';

export type { DevtoolsPanelProps } from './usePanel';

const COLORS: Record<Tone, [string, string]> = { ok: ['#baf3db', '#216e4e'], busy: ['#cce0ff', '#0055cc'], warn: ['#f8e6a0', '#7f5f01'], error: ['#ffd5d2', '#ae2e24'] };

function Badge({ tone, children }: { tone: Tone; children: React.ReactNode }) {
  const [background, color] = COLORS[tone];
  return <span style={{ background, color, fontSize: 11, fontWeight: 700, textTransform: 'uppercase', padding: '0 4px', borderRadius: 3, marginLeft: 6 }}>{children}</span>;
}

function Row({ row }: { row: PanelRow }) {
  return (
    <div className="bgstore-devtools-row" data-row={row.title} style={{ borderTop: '1px solid #eee', padding: '6px 0' }}>
      <div>
        <strong>{row.title}</strong>
        <Badge tone={row.tone}>{row.badge}</Badge>
      </div>
      {row.cells.map(([label, value]) => (
        <span key={label} style={{ display: 'inline-block', marginRight: 8 }}>
          <b style={{ color: '#626f86', fontWeight: 500 }}>{label}</b> {value}
        </span>
      ))}
    </div>
  );
}

/**
 * The same panel as the UI Kit one, in plain React DOM.
 * @example
 * import { DevtoolsPanel } from '@bgstore/devtools/custom-ui';
 * createRoot(document.getElementById('root')!).render(<DevtoolsPanel />);
 */
export function DevtoolsPanel({ client, options, title = 'bgstore devtools' }: DevtoolsPanelProps) {
  const { model, client: active } = usePanel(client, options);
  return (
    <section className="bgstore-devtools" style={{ font: '12px/1.4 system-ui, sans-serif' }}>
      <h2 style={{ margin: '0 0 8px', fontSize: 15 }}>
        {title}{' '}
        <button type="button" onClick={() => active?.refresh()} style={{ fontSize: 11 }}>
          Refresh
        </button>
      </h2>
      {model.warnings.map((w) => (
        <div key={w} role="alert" style={{ color: COLORS.error[1] }}>
          {w}
        </div>
      ))}
      {model.modules.length === 0 ? <p>No module has reported yet: call reportDiagnostics() in each module.</p> : null}
      {model.stores.map((row) => (
        <Row key={row.key} row={row} />
      ))}
      {model.modules.map((row) => (
        <Row key={row.key} row={row} />
      ))}
      {model.actions.length ? <h3 style={{ fontSize: 13, margin: '8px 0 0' }}>Last actions</h3> : null}
      {model.actions.map((row) => (
        <Row key={row.key} row={row} />
      ))}
    </section>
  );
}
