// Two versions side by side; added, removed and changed elements coloured on both diagrams.
import { diagramModules, fetchXml, readData, show } from './diagram/common.js';

const marks = readData('diff-marks');
const names = readData('network-names');
const language = document.documentElement.lang;
const MARKER = { added: 'diff-added', removed: 'diff-removed', changed: 'diff-changed' };

async function draw(container) {
  const viewer = new window.BpmnJS({ container, additionalModules: diagramModules({ language, names }) });
  await show(viewer, await fetchXml(container.dataset.bpmnUrl));
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  for (const [kind, ids] of Object.entries(marks[container.dataset.side])) {
    ids.filter((id) => registry.get(id)).forEach((id) => canvas.addMarker(id, MARKER[kind]));
  }
  return viewer;
}

window.khumkrongDiff = {
  old: await draw(document.getElementById('diagram-old')),
  new: await draw(document.getElementById('diagram-new')),
};
