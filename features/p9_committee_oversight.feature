Feature: P9 committee oversight
  One review round of the Provincial Child Protection Committee (CPA ss.17, 20): the secretariat
  reviews the dashboard of stuck cases, the chair decides whether to summon the people involved or
  call for documents (s.20(5)-(6)), the secretariat records the explanations and drafts provincial
  guidelines (s.20(3)), the chair approves them and the secretariat reports to the national
  committee (s.20(7)).

  Scenario: P9 the chair calls for explanations and the round is reported
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P9" started by "pmj_tak"
    When "pmj_tak" completes "ทบทวน กรณี ค้าง จาก แดชบอร์ด" with:
      | field                 | value                                  |
      | review_period_start   | 2026-11-01                             |
      | review_period_end     | 2026-11-30                             |
      | stuck_case_count      | 2                                      |
      | stuck_case_references | ["TAK-2026-000101", "TAK-2026-000117"] |
      | agencies_concerned    | ["police_tak", "health_tak"]           |
      | summary               | สอบ ปากคำ เด็ก เกิน 12 ชั่วโมง 1 กรณี และ ตรวจ ร่างกาย ล่าช้า 1 กรณี |
    Then "provadmin_tak" has an open task "ประธาน พิจารณา สั่ง การ"
    When "provadmin_tak" completes "ประธาน พิจารณา สั่ง การ" with:
      | field                     | value                        |
      | summon_needed             | true                         |
      | summoned_agencies         | ["police_tak", "health_tak"] |
      | documents_requested       | บันทึก เวลา รับ ตัว และ ส่ง ตัว เด็ก     |
      | best_interests_considered | true                         |
    And "pmj_tak" completes "มี หนังสือ เรียก ชี้แจง และ เอกสาร" with:
      | field           | value      |
      | letter_number   | ตก 0025/123 |
      | sent_on         | 2026-12-01 |
      | response_due_on | 2026-12-15 |
    Then the task "บันทึก คำ ชี้แจง และ เอกสาร ที่ ได้รับ" is due 360 hours after it was created
    When "pmj_tak" completes "บันทึก คำ ชี้แจง และ เอกสาร ที่ ได้รับ" with:
      | field                 | value                                     |
      | explanations_received | 2                                         |
      | documents_received    | true                                      |
      | findings              | พนักงานสอบสวน หญิง ไม่ พอ ใน เวร กลางคืน และ ไม่มี ล่าม |
    And "pmj_tak" completes "ยก ร่าง แนวทาง ปฏิบัติ ระดับ จังหวัด" with:
      | field             | value                                                    |
      | guideline_title   | แนวทาง การ สอบ ปากคำ เด็ก นอก เวลา ราชการ                     |
      | guideline_summary | จัด เวร สหวิชาชีพ และ ล่าม ภาษา พม่า และ กะเหรี่ยง ตลอด 24 ชั่วโมง |
      | agencies_affected | ["police_tak", "pmj_tak", "health_tak"]                 |
    And "provadmin_tak" completes "ประธาน เห็นชอบ แนวทาง ปฏิบัติ" with:
      | field       | value      |
      | approved_on | 2026-12-22 |
    And "pmj_tak" completes "รายงาน ต่อ คณะกรรมการ คุ้มครอง เด็ก แห่งชาติ" with:
      | field            | value       |
      | report_sent_on   | 2026-12-28  |
      | report_reference | ตก 0025/140 |
      | cases_resolved   | 2           |
    Then the case is completed

  Scenario: P9 the summoned explanations are late
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P9" started by "pmj_tak"
    When "pmj_tak" completes "ทบทวน กรณี ค้าง จาก แดชบอร์ด" with:
      | field               | value      |
      | review_period_start | 2026-11-01 |
      | review_period_end   | 2026-11-30 |
      | stuck_case_count    | 1          |
    And "provadmin_tak" completes "ประธาน พิจารณา สั่ง การ" with:
      | field                     | value          |
      | summon_needed             | true           |
      | summoned_agencies         | ["police_tak"] |
      | best_interests_considered | true           |
    And "pmj_tak" completes "มี หนังสือ เรียก ชี้แจง และ เอกสาร" with:
      | field         | value      |
      | letter_number | ตก 0025/130 |
      | sent_on       | 2026-11-30 |
    And 361 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    And "pmj_tak" completes "บันทึก คำ ชี้แจง และ เอกสาร ที่ ได้รับ" with:
      | field              | value                                  |
      | documents_received | false                                  |
      | findings           | ตำรวจ ยัง ไม่ ส่ง เอกสาร ครบ เสนอ ประธาน ติดตาม |
    Then "pmj_tak" has an open task "ยก ร่าง แนวทาง ปฏิบัติ ระดับ จังหวัด"
