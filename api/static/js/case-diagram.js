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
const current = status.current && viewer.get('elementRegistry').get(status.current);
if (current) {
  // A task's page shows its task at full size, in the middle of the box (pan or zoom for the rest).
  const canvas = viewer.get('canvas');
  canvas.addMarker(current, 'current');
  const { outer } = canvas.viewbox();
  canvas.viewbox({
    x: current.x + current.width / 2 - outer.width / 2,
    y: current.y + current.height / 2 - outer.height / 2,
    width: outer.width,
    height: outer.height,
  });
}
container.dataset.ready = 'true';
