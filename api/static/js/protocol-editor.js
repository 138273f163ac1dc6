// The protocol editor: bpmn-js modeler, properties panel, the network box (lane = agency, form
// key, who does the task), save as draft with lint findings that select their shape, rehearse.
import { csrfToken, diagramModules, fetchXml, readData, show } from './diagram/common.js';

const canvasElement = document.getElementById('canvas');
const language = document.documentElement.lang;
const names = readData('network-names');
const scenarios = readData('scenarios') || [];
const words = readData('editor-messages');
const panel = window.BpmnJSPropertiesPanel;

const modeler = new window.BpmnJS({
  container: canvasElement,
  propertiesPanel: { parent: '#properties' },
  additionalModules: [
    panel.BpmnPropertiesPanelModule,
    panel.BpmnPropertiesProviderModule,
    ...diagramModules({ language, names }),
  ],
});
window.khumkrongEditor = modeler;

const canvas = modeler.get('canvas');
const registry = modeler.get('elementRegistry');
const selection = modeler.get('selection');
const modeling = modeler.get('modeling');

// -- the network box -------------------------------------------------------------------------

const box = {
  empty: document.getElementById('network-box-empty'),
  laneField: document.getElementById('lane-field'),
  lane: document.getElementById('lane-agency'),
  formField: document.getElementById('form-field'),
  form: document.getElementById('form-key'),
  roleField: document.getElementById('role-field'),
  role: document.getElementById('candidate-role'),
};
let current = null;

const isA = (element, type) => Boolean(element && element.businessObject && element.businessObject.$instanceOf(type));
const isTask = (element) => isA(element, 'bpmn:UserTask') || isA(element, 'bpmn:ManualTask');

function choose(select, value) {
  // A value the list does not offer (an unknown form, say) is still shown as it is.
  if (value && ![...select.options].some((option) => option.value === value)) {
    select.add(new Option(value, value));
  }
  select.value = value || '';
}

function refreshBox() {
  const lane = isA(current, 'bpmn:Lane');
  const task = isTask(current);
  box.empty.hidden = lane || task;
  box.laneField.hidden = !lane;
  box.formField.hidden = !task;
  box.roleField.hidden = !task;
  if (lane) {
    choose(box.lane, String(current.businessObject.name || '').split('/')[0]);
  }
  if (task) {
    choose(box.form, current.businessObject.get('camunda:formKey'));
    choose(box.role, current.businessObject.get('camunda:candidateGroups'));
  }
}

modeler.on('selection.changed', ({ newSelection }) => {
  current = newSelection.length === 1 ? newSelection[0] : null;
  refreshBox();
});
modeler.on('commandStack.changed', refreshBox);

box.lane.addEventListener('change', () => {
  if (!isA(current, 'bpmn:Lane') || !box.lane.value) return;
  const role = String(current.businessObject.name || '').split('/')[1];
  modeling.updateLabel(current, role ? `${box.lane.value}/${role}` : box.lane.value);
});
box.form.addEventListener('change', () => {
  if (isTask(current)) modeling.updateProperties(current, { 'camunda:formKey': box.form.value || undefined });
});
box.role.addEventListener('change', () => {
  if (isTask(current)) modeling.updateProperties(current, { 'camunda:candidateGroups': box.role.value || undefined });
});

// -- findings select their shape ---------------------------------------------------------------

const HIGHLIGHT = 'lint-highlight';

export function highlight(id) {
  registry.forEach((element) => canvas.removeMarker(element, HIGHLIGHT));
  const element = registry.get(id);
  if (!element) return false;
  selection.select(element);
  canvas.addMarker(element, HIGHLIGHT);
  // A whole protocol fitted to the box is too small to read: come close enough to see the shape.
  if (canvas.zoom() < 0.9) canvas.zoom(1);
  canvas.scrollToElement(element, { top: 80, bottom: 80, left: 80, right: 80 });
  return true;
}

function wireFindings(container) {
  container.querySelectorAll('button.finding[data-element]').forEach((button) => {
    button.addEventListener('click', () => highlight(button.dataset.element));
  });
}

// -- talking to the server ---------------------------------------------------------------------

async function send(url, options, status, target) {
  status.textContent = words.working;
  let response;
  try {
    response = await fetch(url, { method: 'POST', credentials: 'same-origin', ...options });
  } catch (error) {
    status.textContent = words.unreachable;
    return;
  }
  if (response.redirected && new URL(response.url).pathname === '/signin') {
    status.textContent = words.expired;
    return;
  }
  const text = await response.text();
  if (!text.includes('data-fragment')) {
    status.textContent = `${words.failed} (HTTP ${response.status})`;
    return;
  }
  // Server-rendered and escaped by the templates: safe to insert as it is.
  target.innerHTML = text;
  wireFindings(target);
  status.textContent = response.ok ? words.done : words.problems;
  const first = target.querySelector('[role="alert"], [role="status"]');
  if (first) first.setAttribute('tabindex', '-1');
}

const saveButton = document.getElementById('save-draft');
saveButton.addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  await send(saveButton.dataset.url, {
    headers: { 'Content-Type': 'application/xml', 'X-CSRF-Token': csrfToken() },
    body: xml,
  }, document.getElementById('save-status'), document.getElementById('draft-result'));
});

const scenarioChoice = document.getElementById('scenario-choice');
const scenarioText = document.getElementById('scenario-text');
scenarioChoice.addEventListener('change', () => {
  scenarioText.value = scenarioChoice.value === '' ? '' : scenarios[Number(scenarioChoice.value)];
});
if (scenarios.length) scenarioChoice.value = '0';

const rehearseButton = document.getElementById('rehearse');
rehearseButton.addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  await send(rehearseButton.dataset.url, {
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: JSON.stringify({ bpmn: xml, scenario: scenarioText.value }),
  }, document.getElementById('rehearse-status'), document.getElementById('rehearsal-result'));
});

await show(modeler, await fetchXml(canvasElement.dataset.bpmnUrl), document.getElementById('editor-problem'));
saveButton.disabled = false;
rehearseButton.disabled = false;
canvasElement.dataset.ready = 'true';
