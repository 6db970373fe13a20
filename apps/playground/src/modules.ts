import { join } from 'node:path';

/** The example app's modules as the playground shows them (mirrors manifest.yml). */
export const MODULES = [
  { key: 'background', type: 'confluence:backgroundScript', title: 'Background script (hidden)', file: 'background.tsx' },
  { key: 'board', type: 'confluence:homepageFeed', title: 'Team board', file: 'board.tsx' },
  { key: 'summary', type: 'confluence:homepageFeed', title: 'Board summary', file: 'summary.tsx' },
  { key: 'byline', type: 'confluence:contentBylineItem', title: 'Byline on “Release notes”', file: 'byline.tsx', extension: { content: { id: '42', type: 'page' }, space: { key: 'TEAM' } } },
  // Custom UI: React DOM renders inside the frame itself (no UI Kit tree to draw).
  { key: 'quick-add', type: 'confluence:homepageFeed', title: 'Quick add (Custom UI)', file: '../custom-ui/quick-add.tsx' },
] as const;

export const EXAMPLE_FRONTEND = join(__dirname, '..', '..', 'example', 'src', 'frontend');
