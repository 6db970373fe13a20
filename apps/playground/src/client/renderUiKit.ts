// Draws a UI Kit tree (the ForgeDoc @forge/react reconciles) as plain HTML inside the module's
// frame, for the components the example app uses; others show as labelled boxes.
import type { ForgeDoc } from '@bgstore/emulator';

const TAGS: Record<string, string> = { Stack: 'div', Inline: 'div', Box: 'div', Text: 'p', Heading: 'h3', Lozenge: 'span', Badge: 'span', Strong: 'strong', Em: 'em', Code: 'code' };

function draw(doc: Document, node: ForgeDoc): Node {
  if (node.type === 'String') return doc.createTextNode(String(node.props.text ?? ''));
  if (node.type === 'Button' || node.type === 'LoadingButton') {
    const button = doc.createElement('button');
    button.className = `button ${String(node.props.appearance ?? 'default')}`;
    button.disabled = node.props.isDisabled === true;
    const onClick = node.props.onClick;
    if (typeof onClick === 'function') button.addEventListener('click', () => void onClick());
    node.children.forEach((c) => button.appendChild(draw(doc, c)));
    return button;
  }
  const el = doc.createElement(TAGS[node.type] ?? 'div');
  el.className = `uikit-${node.type.toLowerCase()}`;
  if (node.props.appearance) el.dataset.appearance = String(node.props.appearance);
  if (!TAGS[node.type] && node.type !== 'Root' && node.type !== 'Fragment') el.dataset.type = node.type;
  node.children.forEach((c) => el.appendChild(draw(doc, c)));
  return el;
}

/** Replaces the frame's body with the tree. */
export function renderUiKit(frame: HTMLIFrameElement, tree: ForgeDoc | undefined): void {
  const doc = frame.contentDocument;
  if (!doc?.body) return;
  doc.body.replaceChildren(...(tree ? [draw(doc, tree)] : []));
}
