// The one react-dom entry the inspector uses (react-dom 18 ships no types of its own).
declare module 'react-dom/client' {
  import type { ReactNode } from 'react';

  export function createRoot(container: Element): { render(children: ReactNode): void; unmount(): void };
}
