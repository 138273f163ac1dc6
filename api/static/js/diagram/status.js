// A case's progress on its diagram: completed, active and overdue elements coloured (CSS classes
// done / active / overdue, see app.css) and a due badge on each active task.
//
//   showStatus(viewer, {
//     done: ['receive_report'], active: ['triage'], overdue: ['question_child'],
//     badges: { triage: { text: 'เหลือ 3 ชม.', state: 'soon' }, question_child: { text: 'เกินกำหนด 2 วัน', state: 'overdue' } },
//   });
//
// Badge text is set as text, never parsed as HTML.

export const MARKERS = ['done', 'active', 'overdue'];

export function showStatus(viewer, { done = [], active = [], overdue = [], badges = {} } = {}) {
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  const mark = (ids, marker) => ids.forEach((id) => registry.get(id) && canvas.addMarker(id, marker));
  mark(done, 'done');
  mark(active, 'active');
  mark(overdue, 'overdue');
  for (const [id, badge] of Object.entries(badges)) {
    if (!registry.get(id)) continue;
    const span = document.createElement('span');
    span.className = `due-badge ${badge.state || ''}`.trim();
    span.textContent = badge.text;
    overlays.add(id, 'due', { position: { top: -12, right: 10 }, html: span });
  }
}

export function clearStatus(viewer) {
  const canvas = viewer.get('canvas');
  viewer.get('elementRegistry').forEach((element) => MARKERS.forEach((m) => canvas.removeMarker(element, m)));
  viewer.get('overlays').remove({ type: 'due' });
}
