// One protocol version, read-only, in the navigated viewer (zoom and pan).
import { diagramModules, fetchXml, readData, show } from './diagram/common.js';

const container = document.getElementById('diagram');
const viewer = new window.BpmnJS({
  container,
  additionalModules: diagramModules({ language: document.documentElement.lang, names: readData('network-names') }),
});
window.khumkrongDiagram = viewer;
show(viewer, await fetchXml(container.dataset.bpmnUrl), document.getElementById('diagram-problem'));
