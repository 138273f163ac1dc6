// A case's protocol in the navigated viewer, its progress coloured (completed, active, overdue),
// a due badge on each live task, and — on a task's page — that task marked.
import { diagramModules, fetchXml, readData, show } from './diagram/common.js';
import { showStatus } from './diagram/status.js';

const container = document.getElementById('diagram');
const status = readData('case-status') || {};
const viewer = new window.BpmnJS({
  container,
  additionalModules: diagramModules({ language: document.documentElement.lang, names: readData('network-names') }),
});
window.khumkrongDiagram = viewer;
await show(viewer, await fetchXml(container.dataset.bpmnUrl), document.getElementById('diagram-problem'));
showStatus(viewer, status);
if (status.current && viewer.get('elementRegistry').get(status.current)) {
  viewer.get('canvas').addMarker(status.current, 'current');
}
container.dataset.ready = 'true';
