// Lanes labelled with the agency's name from the network, not its code (display only).
//
// A lane's name in the XML is an agency code, optionally narrowed to a role
// ("police_tak/investigator"): stable for the engine, unreadable for people. The lane is drawn
// by bpmn-js's own renderer from a stand-in whose name is the display name; the element and
// the saved XML keep the code.

const PRIORITY = 1500; // before bpmn-js's renderer (1000)

/** The display name of a lane name, or null when it names no agency of the network. */
export function laneDisplayName(name, names) {
  if (!name || !names) return null;
  const [agency, role] = String(name).split('/', 2);
  const agencyName = names.agencies[agency];
  if (!agencyName) return null;
  return role ? `${agencyName} / ${names.roles[role] || role}` : agencyName;
}

function standIn(element, display) {
  const semantic = Object.create(element.businessObject, { name: { value: display } });
  return Object.create(element, { businessObject: { value: semantic } });
}

export function laneLabels(names) {
  function LaneLabels(eventBus, bpmnRenderer) {
    eventBus.on('render.shape', PRIORITY, (event, context) => {
      const { element, gfx, attrs } = context;
      const semantic = element.businessObject;
      if (!semantic || !semantic.$instanceOf || !semantic.$instanceOf('bpmn:Lane')) return undefined;
      const display = laneDisplayName(semantic.name, names);
      if (!display) return undefined;
      return bpmnRenderer.drawShape(gfx, standIn(element, display), attrs);
    });
  }
  LaneLabels.$inject = ['eventBus', 'bpmnRenderer'];
  return { __init__: ['laneLabels'], laneLabels: ['type', LaneLabels] };
}
