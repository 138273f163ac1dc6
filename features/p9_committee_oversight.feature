Feature: P9 committee oversight
  One oversight round of the Provincial Child Protection Committee (CPA ss.17, 19-20): the
  secretariat reviews the dashboard of stuck cases and sets the agenda, with draft provincial
  guidelines if it proposes any (s.20(3)). The committee meets; without a quorum of half of all
  members it meets again (s.19 applying s.13). Its resolutions decide whether to summon the people
  involved or call for documents (s.20(5)-(6)) and whether to adopt the guidelines, which the
  chair then signs; the secretariat reports to the national committee (s.20(7)).

  Scenario: P9 the meeting resolves to call for explanations and adopt guidelines, and the round is reported
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P9" started by "pmj_tak"
    When "pmj_tak" completes "ทบทวนกรณีค้างและจัดทำวาระการประชุม" with:
      | field                 | value                                                  |
      | review_period_start   | 2026-11-01                                             |
      | review_period_end     | 2026-11-30                                             |
      | stuck_case_count      | 2                                                      |
      | stuck_case_references | ["TAK-2026-000101", "TAK-2026-000117"]                 |
      | agencies_concerned    | ["police_tak", "health_tak"]                           |
      | summary               | ซักถามเด็กเกิน 12 ชั่วโมง 1 กรณี และตรวจร่างกายล่าช้า 1 กรณี |
      | guideline_proposed    | true                                                   |
    Then "pmj_tak" has an open task "ยกร่างแนวทางปฏิบัติระดับจังหวัด"
    When "pmj_tak" completes "ยกร่างแนวทางปฏิบัติระดับจังหวัด" with:
      | field             | value                                             |
      | guideline_title   | แนวทางการซักถามเด็กนอกเวลาราชการ                     |
      | guideline_summary | จัดเวรสหวิชาชีพและล่ามภาษาพม่าและกะเหรี่ยงตลอด 24 ชั่วโมง |
      | agencies_affected | ["police_tak", "pmj_tak", "health_tak"]           |
    Then "pmj_tak" has an open task "บันทึกการประชุมและมติคณะกรรมการ"
    And "provadmin_tak" has no open task "ประธานลงนามประกาศแนวทางปฏิบัติตามมติ"
    When "pmj_tak" completes "บันทึกการประชุมและมติคณะกรรมการ" with:
      | field               | value                                                   |
      | meeting_date        | 2026-12-08                                              |
      | members_total       | 24                                                      |
      | members_present     | 15                                                      |
      | presiding           | chair                                                   |
      | resolutions         | ["summon_people", "call_documents", "adopt_guidelines"] |
      | decided_by          | majority                                                |
      | summoned_agencies   | ["police_tak", "health_tak"]                            |
      | documents_requested | บันทึกเวลารับตัวและส่งตัวเด็ก                                  |
    Then "pmj_tak" has an open task "มีหนังสือเรียกชี้แจงและเอกสาร"
    When "pmj_tak" completes "มีหนังสือเรียกชี้แจงและเอกสาร" with:
      | field           | value       |
      | letter_number   | ตก 0025/123 |
      | sent_on         | 2026-12-09  |
      | response_due_on | 2026-12-23  |
    Then the task "บันทึกคำชี้แจงและเอกสารที่ได้รับ" is due 360 hours after it was created
    When "pmj_tak" completes "บันทึกคำชี้แจงและเอกสารที่ได้รับ" with:
      | field                 | value                                      |
      | explanations_received | 2                                          |
      | documents_received    | true                                       |
      | findings              | พนักงานสอบสวนหญิงไม่พอในเวรกลางคืน และไม่มีล่าม |
    Then "provadmin_tak" has an open task "ประธานลงนามประกาศแนวทางปฏิบัติตามมติ"
    When "provadmin_tak" completes "ประธานลงนามประกาศแนวทางปฏิบัติตามมติ" with:
      | field       | value      |
      | approved_on | 2026-12-22 |
    And "pmj_tak" completes "รายงานต่อคณะกรรมการคุ้มครองเด็กแห่งชาติ" with:
      | field            | value       |
      | report_sent_on   | 2026-12-28  |
      | report_reference | ตก 0025/140 |
      | cases_resolved   | 2           |
    Then the case is completed

  Scenario: P9 a meeting without a quorum resolves nothing and the committee meets again
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P9" started by "pmj_tak"
    When "pmj_tak" completes "ทบทวนกรณีค้างและจัดทำวาระการประชุม" with:
      | field               | value      |
      | review_period_start | 2026-11-01 |
      | review_period_end   | 2026-11-30 |
      | stuck_case_count    | 1          |
      | guideline_proposed  | false      |
    And "pmj_tak" completes "บันทึกการประชุมและมติคณะกรรมการ" with:
      | field           | value           |
      | meeting_date    | 2026-12-08      |
      | members_total   | 24              |
      | members_present | 11              |
      | presiding       | vice_chair      |
      | resolutions     | ["summon_people"] |
    Then "pmj_tak" has an open task "บันทึกการประชุมและมติคณะกรรมการ"
    And "pmj_tak" has no open task "มีหนังสือเรียกชี้แจงและเอกสาร"
    When "pmj_tak" completes "บันทึกการประชุมและมติคณะกรรมการ" with:
      | field             | value             |
      | meeting_date      | 2026-12-15        |
      | members_total     | 24                |
      | members_present   | 12                |
      | presiding         | elected_member    |
      | resolutions       | ["summon_people"] |
      | decided_by        | casting_vote      |
      | summoned_agencies | ["police_tak"]    |
    Then "pmj_tak" has an open task "มีหนังสือเรียกชี้แจงและเอกสาร"

  Scenario: P9 the summoned explanations are late
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P9" started by "pmj_tak"
    When "pmj_tak" completes "ทบทวนกรณีค้างและจัดทำวาระการประชุม" with:
      | field               | value      |
      | review_period_start | 2026-11-01 |
      | review_period_end   | 2026-11-30 |
      | stuck_case_count    | 1          |
      | guideline_proposed  | false      |
    And "pmj_tak" completes "บันทึกการประชุมและมติคณะกรรมการ" with:
      | field             | value             |
      | meeting_date      | 2026-11-30        |
      | members_total     | 24                |
      | members_present   | 16                |
      | presiding         | chair             |
      | resolutions       | ["summon_people"] |
      | decided_by        | majority          |
      | summoned_agencies | ["police_tak"]    |
    And "pmj_tak" completes "มีหนังสือเรียกชี้แจงและเอกสาร" with:
      | field         | value       |
      | letter_number | ตก 0025/130 |
      | sent_on       | 2026-11-30  |
    And 361 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    And "pmj_tak" completes "บันทึกคำชี้แจงและเอกสารที่ได้รับ" with:
      | field              | value                                  |
      | documents_received | false                                  |
      | findings           | ตำรวจยังส่งเอกสารไม่ครบ เสนอที่ประชุมติดตาม |
    Then "provadmin_tak" has no open task "ประธานลงนามประกาศแนวทางปฏิบัติตามมติ"
    And "pmj_tak" has an open task "รายงานต่อคณะกรรมการคุ้มครองเด็กแห่งชาติ"
