"""Thai labels on diagrams break only between words, and the saved XML keeps names as written."""
from __future__ import annotations

from tests.browser.conftest import check_page

# One pool, one lane named by agency code, one task with a long Thai name written without spaces.
TASK_NAME = "ตรวจสอบเอกสารประจำตัวของเด็กและครอบครัวอย่างละเอียด"
DIAGRAM = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="labels" targetNamespace="https://khumkrong.tak/tests">
  <bpmn:collaboration id="collaboration"><bpmn:participant id="pool" name="ทดสอบ" processRef="labels_process"/></bpmn:collaboration>
  <bpmn:process id="labels_process" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_pmj" name="pmj_tak"><bpmn:flowNodeRef>check_papers</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:userTask id="check_papers" name="{TASK_NAME}"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">
    <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true"><dc:Bounds x="0" y="0" width="600" height="250"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="lane_di" bpmnElement="lane_pmj" isHorizontal="true"><dc:Bounds x="30" y="0" width="570" height="250"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="task_di" bpmnElement="check_papers"><dc:Bounds x="200" y="80" width="100" height="80"/></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

LINES_OF = """([box, id]) => [...document.querySelectorAll(`${box} g.djs-element[data-element-id="${id}"] text tspan`)]
    .map((t) => t.textContent)"""
WORD_ENDS = """(text) => [...new Intl.Segmenter('th', { granularity: 'word' }).segment(text)]
    .map((s) => s.index + s.segment.length)"""


def show_test_diagram(tab, path: str, diagram: str) -> None:
    """Open a page with a diagram as policy staff, then put the test diagram in it."""
    tab.sign_in("policy")
    tab.goto(path)
    tab.page.wait_for_function(f"() => window.{diagram} && window.{diagram}.get('elementRegistry').getAll().length > 0")
    tab.page.evaluate(f"async (xml) => {{ await window.{diagram}.importXML(xml); }}", DIAGRAM)


def test_a_thai_label_breaks_only_at_word_boundaries_on_screen_and_is_saved_as_written(tab):
    page = tab.page
    show_test_diagram(tab, "/protocols/p1_abuse_report/versions/1", "khumkrongDiagram")
    lines = page.evaluate(LINES_OF, ["#diagram", "check_papers"])
    assert len(lines) >= 3, lines
    assert "".join(lines) == TASK_NAME  # nothing added or lost (no hyphen, no space)
    ends = set(page.evaluate(WORD_ENDS, TASK_NAME))
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in ends, f"line {line!r} ends inside a word"

    # Without the module bpmn-js cuts the same name inside a word: the module is what fixes it.
    plain = page.evaluate(
        """async (xml) => {
            const box = document.createElement('div');
            box.style.width = '800px'; box.style.height = '400px';
            document.body.appendChild(box);
            const viewer = new window.BpmnJS({ container: box });
            await viewer.importXML(xml);
            const lines = [...box.querySelectorAll('g.djs-element[data-element-id="check_papers"] text tspan')].map((t) => t.textContent);
            viewer.destroy(); box.remove();
            return lines;
        }""", DIAGRAM)
    plain_ends, cut = 0, False
    for line in plain[:-1]:
        plain_ends += len(line)
        cut = cut or plain_ends not in ends
    assert cut, f"bpmn-js alone no longer breaks Thai mid-word ({plain}); the module may be unnecessary"

    # The lane shows the agency's name; the model keeps the code.
    lane = page.evaluate(LINES_OF, ["#diagram", "lane_pmj"])
    assert "".join(lane).startswith("สำนักงานพัฒนาสังคม")
    saved = page.evaluate("async () => (await window.khumkrongDiagram.saveXML()).xml")
    assert f'name="{TASK_NAME}"' in saved and 'name="pmj_tak"' in saved
    assert "\n" not in saved.split('id="check_papers" name="')[1].split('"')[0]


def test_the_editor_round_trips_a_thai_name_unchanged(tab):
    page = tab.page
    show_test_diagram(tab, "/protocols/p2_student_screening/edit", "khumkrongEditor")
    lines = page.evaluate(LINES_OF, ["#canvas", "check_papers"])
    assert len(lines) >= 3 and "".join(lines) == TASK_NAME
    saved = page.evaluate("async () => (await window.khumkrongEditor.saveXML({ format: true })).xml")
    assert f'name="{TASK_NAME}"' in saved
    check_page(tab, title="แก้ไข", name="protocol-editor-p2", exclude=["#canvas"])


def test_the_status_helper_colours_a_case_and_badges_its_active_tasks(tab):
    """diagram/status.js, for the case page: done, active and overdue markers and due badges."""
    page = tab.page
    tab.sign_in("policy")
    tab.goto("/protocols/p1_abuse_report/versions/1")
    page.wait_for_function("() => window.khumkrongDiagram && window.khumkrongDiagram.get('elementRegistry').get('triage')")
    page.evaluate("""async () => {
        const { showStatus } = await import('/static/js/diagram/status.js');
        showStatus(window.khumkrongDiagram, {
            done: ['receive_report'], active: ['triage'], overdue: ['question_child', 'no_such_element'],
            badges: { triage: { text: 'เหลือ 3 ชม.', state: 'soon' }, question_child: { text: '<b>เกินกำหนด 2 วัน</b>', state: 'overdue' } },
        });
    }""")
    for element_id, marker in (("receive_report", "done"), ("triage", "active"), ("question_child", "overdue")):
        assert page.locator(f'g.djs-element.{marker}[data-element-id="{element_id}"]').count() == 1
    badges = page.locator(".djs-overlay .due-badge")
    assert badges.count() == 2
    assert page.locator(".due-badge.soon").inner_text() == "เหลือ 3 ชม."
    assert page.locator(".due-badge.overdue").inner_text() == "<b>เกินกำหนด 2 วัน</b>"  # text, never HTML
    fill = page.evaluate("""() => getComputedStyle(document.querySelector(
        'g.djs-element.overdue[data-element-id="question_child"] .djs-visual > :first-child')).fill""")
    assert fill == "rgb(253, 236, 234)"
    assert not tab.csp_violations()


def test_the_editor_speaks_thai(tab):
    page = tab.page
    tab.sign_in("policy")
    tab.goto("/protocols/p2_student_screening/edit")
    page.wait_for_selector("#canvas[data-ready='true']")
    assert page.locator('.djs-palette .entry[aria-label="สร้างงาน"]').count() == 1
    assert page.locator(".bio-properties-panel-group-header", has_text="ทั่วไป").count() >= 1
