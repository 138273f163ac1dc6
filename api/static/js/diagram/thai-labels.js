// Thai labels wrapped at word boundaries (display only).
//
// bpmn-js breaks a label only at whitespace, '-' or a soft hyphen, so Thai written as Thai is
// written (no spaces between words) would break mid-word. Before a label is laid out, this
// finds Thai word boundaries with Intl.Segmenter('th', {granularity: 'word'}) and puts a line
// break ('\n', which bpmn-js honours) where the next word would overflow the label's box. The
// element's name is not touched, so the saved XML keeps the name exactly as written.

const THAI = /[\u0E00-\u0E7F]/;
const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl
  ? new Intl.Segmenter('th', { granularity: 'word' })
  : null;
let context2d = null;

function fontOf(style) {
  const size = typeof style.fontSize === 'number' ? `${style.fontSize}px` : (style.fontSize || '12px');
  return [style.fontStyle, style.fontVariant, style.fontWeight, style.fontStretch, size, style.fontFamily || 'sans-serif']
    .filter(Boolean).join(' ');
}

// The same measurement diagram-js makes (a canvas context with the label's font), so a line
// that fits here is not broken again by bpmn-js.
export function textWidth(text, style) {
  context2d ||= document.createElement('canvas').getContext('2d');
  context2d.font = fontOf(style);
  return context2d.measureText(text.replace(/\s+$/, '')).width;
}

function horizontalPadding(padding) {
  if (padding == null) return 0;
  if (typeof padding === 'number') return 2 * padding;
  return (padding.left || 0) + (padding.right || 0);
}

/** Break one line at Thai word boundaries so that no line is wider than maxWidth. */
export function wrapLine(line, maxWidth, width) {
  if (!segmenter || !THAI.test(line) || width(line) <= maxWidth) {
    return line;
  }
  const lines = [];
  let current = '';
  for (const { segment } of segmenter.segment(line)) {
    const candidate = current + segment;
    if (current.trim() === '' || width(candidate) <= maxWidth) {
      current = candidate;
    } else {
      lines.push(current.trimEnd());
      current = segment.trimStart();
    }
  }
  if (current.trim() !== '') {
    lines.push(current.trimEnd());
  }
  return lines.join('\n');
}

/** Wrap every line of a label's text (explicit line breaks are kept). */
export function wrapThai(text, maxWidth, width) {
  return String(text).split(/\r?\n/).map((line) => wrapLine(line, maxWidth, width)).join('\n');
}

// A line exactly as wide as the box would be rounded over it by bpmn-js: keep a pixel spare.
const SPARE = 1;

function ThaiLabels(textRenderer) {
  const createText = textRenderer.createText.bind(textRenderer);
  const externalLabelBounds = textRenderer.getExternalLabelBounds.bind(textRenderer);
  const defaultStyle = textRenderer.getDefaultStyle();
  const externalStyle = textRenderer.getExternalStyle();

  textRenderer.createText = (text, options = {}) => {
    const box = options.box;
    if (!text || !box || !box.width) {
      return createText(text, options);
    }
    const style = { ...defaultStyle, ...(options.style || {}) };
    const maxWidth = box.width - horizontalPadding(options.padding) - SPARE;
    return createText(wrapThai(text, maxWidth, (line) => textWidth(line, style)), options);
  };

  // External labels (events, gateways) are sized from their text: size them as drawn.
  textRenderer.getExternalLabelBounds = (bounds, text) => {
    const maxWidth = Math.max(bounds.width, 90) - SPARE;
    return externalLabelBounds(bounds, wrapThai(text || '', maxWidth, (line) => textWidth(line, externalStyle)));
  };
}
ThaiLabels.$inject = ['textRenderer'];

export default {
  __init__: ['thaiLabels'],
  thaiLabels: ['type', ThaiLabels],
};
