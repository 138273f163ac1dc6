Feature: P11 personal data breach
  A breach of the children's data (PDPA s.37(4)): the data-protection desk records it and when it
  became known, assesses the risk to the children's rights and freedoms (khumkrong audit reads
  lists who read each affected child's data), notifies the PDPC office within 72 hours of becoming
  aware unless there is no risk, tells the families with the remedy when the risk is high, and
  records the measures taken. Past the 72 hours the committee secretariat is told at once.

  Scenario: P11 a leaked case list is notified to the PDPC office within 72 hours and the families are told
    Given the clock reads "2026-12-01T09:00:00+07:00"
    And a case of protocol "P11" started by "pmj_tak"
    When "pmj_tak" completes "บันทึกเหตุการละเมิดข้อมูลส่วนบุคคล" with:
      | field              | value                                         |
      | discovered_at      | 2026-12-01T07:00:00+07:00                     |
      | breach_kinds       | ["wrongful_disclosure"]                       |
      | data_kinds         | ["identity", "case_records"]                  |
      | children_affected  | 3                                             |
      | affected_child_ids | [12, 15, 31]                                  |
      | contained          | true                                          |
      | breach_summary     | รายชื่อกรณีถูกส่งต่อในกลุ่มสนทนาที่มีบุคคลภายนอก |
    # The 72 hours count from 07:00, when the breach became known; the warning comes at 48.
    Then the task "ประเมินความเสี่ยงต่อสิทธิและเสรีภาพ" is due at "2026-12-03T07:00:00+07:00"
    When "pmj_tak" completes "ประเมินความเสี่ยงต่อสิทธิและเสรีภาพ" with:
      | field              | value     |
      | risk_level         | high_risk |
      | reads_reviewed     | true      |
      | unauthorised_reads | 4         |
    Then the task "แจ้งเหตุต่อสำนักงานคณะกรรมการ" is due at "2026-12-04T07:00:00+07:00"
    When "pmj_tak" completes "แจ้งเหตุต่อสำนักงานคณะกรรมการ" with:
      | field            | value                     |
      | notified_at      | 2026-12-02T15:00:00+07:00 |
      | channel          | pdpc_online               |
      | notice_reference | PDPC-2569-0412            |
    Then "pmj_tak" has an open task "แจ้งเจ้าของข้อมูลและแนวทางการเยียวยา"
    When "pmj_tak" completes "แจ้งเจ้าของข้อมูลและแนวทางการเยียวยา" with:
      | field             | value                                        |
      | notified_on       | 2026-12-03                                   |
      | subjects_notified | 3                                            |
      | remedy            | ลบข้อความจากกลุ่มสนทนาและนัดพบผู้ปกครองทั้งสามครอบครัว |
    And "pmj_tak" completes "บันทึกมาตรการแก้ไขและปิดเหตุ" with:
      | field     | value                              |
      | measures  | ["access_revoked", "staff_trained"] |
      | closed_on | 2026-12-10                         |
    Then the case is completed

  Scenario: P11 an assessment still open 72 hours after the breach became known goes to the committee secretariat
    Given the clock reads "2026-12-01T09:00:00+07:00"
    And a case of protocol "P11" started by "pmj_tak"
    When "pmj_tak" completes "บันทึกเหตุการละเมิดข้อมูลส่วนบุคคล" with:
      | field             | value                     |
      | discovered_at     | 2026-12-01T08:00:00+07:00 |
      | breach_kinds      | ["unauthorised_access"]   |
      | data_kinds        | ["health"]                |
      | children_affected | 1                         |
      | contained         | false                     |
    And 48 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    Then no escalation targets "committee_secretariat"
    When 24 hours pass
    Then a level-1 escalation targets "committee_secretariat" of "pmj_tak"
    And "pmj_tak" has an open task "ประเมินความเสี่ยงต่อสิทธิและเสรีภาพ"
    And "pmj_tak" has no open task "แจ้งเหตุต่อสำนักงานคณะกรรมการ"
