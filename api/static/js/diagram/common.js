// Shared by the pages that draw diagrams: data blocks, the diagram's XML, the modules every
// diagram gets (Thai word wrapping, agency names on lanes, Thai editor words).

import thaiLabels from './thai-labels.js';
import { laneLabels } from './lane-labels.js';
import translateThai from './translate-th.js';

/** The JSON in <script type="application/json" id="…">, or null. */
export function readData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

/** The page's CSRF token (the layout puts it in hx-headers on <body>). */
export function csrfToken() {
  const headers = document.body.getAttribute('hx-headers');
  return headers ? JSON.parse(headers)['X-CSRF-Token'] : '';
}

export async function fetchXml(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/xml' } });
  if (!response.ok) {
    throw new Error(`${url}: ${response.status}`);
  }
  return response.text();
}

/** Modules for a viewer or modeler on a page in `language`. */
export function diagramModules({ language, names }) {
  const modules = [thaiLabels, laneLabels(names)];
  if (language === 'th') {
    modules.push(translateThai);
  }
  return modules;
}

/** Import XML into a viewer or modeler and fit it to its box; shows a problem if it fails. */
export async function show(diagram, xml, problemElement) {
  try {
    await diagram.importXML(xml);
    diagram.get('canvas').zoom('fit-viewport');
  } catch (error) {
    if (problemElement) {
      problemElement.textContent = String(error.message || error);
      problemElement.hidden = false;
    }
    throw error;
  }
}
