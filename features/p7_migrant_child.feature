Feature: P7 migrant, stateless or undocumented child in Tak
  A child without a 13-digit ID (a G-code, or no identifier at all) is received and enrolled with
  a G-code; the district office takes up civil status and birth registration. A trafficking
  indicator refers the child to P1 and the police identify victims (at most 24 hours [U]); an
  unaccompanied or possibly trafficked child is assessed for protection, and if needed cared for
  in the reception home (at most 3 months, CPA s.56(1)). A supervisor of the social development
  office approves the closure. The referral to P1 carries the reason, not the child's name or age.

  Scenario: P7 a child with no identifier at all is enrolled with a G-code and the district takes up her status
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P7" started by "school_maesot"
    Then "spm_tak" has an open task "รับเด็กและบันทึกตัวตน"
    When "spm_tak" completes "รับเด็กและบันทึกตัวตน" with:
      | field                 | value                                                              |
      | child_first_name      | นอพอ                                                               |
      | child_nationality     | ไม่ทราบ                                                             |
      | child_language        | กะเหรี่ยงสะกอ                                                        |
      | identity_document     | none                                                               |
      | referral_source       | migrant_learning_centre                                            |
      | interpreter_needed    | true                                                               |
      | interpreter_language  | sgaw_karen                                                         |
      | unaccompanied         | false                                                              |
      | trafficking_indicator | false                                                              |
      | guardians             | [{"name": "นอ เอ", "relation": "parent", "alleged_abuser": false}] |
    Then "spm_tak" has an open task "ออกรหัส G และรับเข้าเรียน"
    And the task "ออกรหัส G และรับเข้าเรียน" is due 7 days after it was created
    And "police_tak" has no open task "คัดแยกผู้เสียหายจากการค้ามนุษย์"
    And "pmj_tak" has no open task "ประเมินและวางแผนคุ้มครอง"
    When 2 days pass
    And "spm_tak" completes "ออกรหัส G และรับเข้าเรียน" with:
      | field            | value         |
      | child_g_code     | G631234567890 |
      | child_school     | school_maesot |
      | enrolment_date   | 2026-12-02    |
      | grade_level      | primary       |
      | language_support | true          |
    Then "provadmin_tak" has an open task "ตรวจสอบสถานะและแจ้งเกิด"
    And the task "ตรวจสอบสถานะและแจ้งเกิด" is due 30 days after it was created
    When "provadmin_tak" completes "ตรวจสอบสถานะและแจ้งเกิด" with:
      | field                | value        |
      | district_office      | mae_sot      |
      | registration_status  | unregistered |
      | birth_registered     | false        |
      | status_request_filed | true         |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
    When "pmj_tak" completes "อนุมัติปิดกรณี" with:
      | closure_reason            | enrolled_and_status_filed                       |
      | closure_summary           | ได้รหัส G เข้าเรียนชั้นประถม อำเภอรับคำขอกำหนดสถานะแล้ว |
      | best_interests_considered | true                                            |
    Then the case is completed

  Scenario: P7 a trafficking indicator starts a linked P1 case and the police must identify the victim within 24 hours
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P7" started by "school_maesot"
    When "spm_tak" completes "รับเด็กและบันทึกตัวตน" with:
      | field                 | value                                       |
      | child_first_name      | มีมี                                          |
      | child_language        | พม่า                                         |
      | identity_document     | none                                        |
      | interpreter_needed    | true                                        |
      | interpreter_language  | burmese                                     |
      | unaccompanied         | true                                        |
      | trafficking_indicator | true                                        |
      | trafficking_signs     | ["brought_by_broker", "working_long_hours"] |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And "police_tak" has an open task "คัดแยกผู้เสียหายจากการค้ามนุษย์"
    And the task "คัดแยกผู้เสียหายจากการค้ามนุษย์" is due 24 hours after it was created
    And "spm_tak" has no open task "ออกรหัส G และรับเข้าเรียน"
    When 25 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    And "police_tak" has an open task "คัดแยกผู้เสียหายจากการค้ามนุษย์"
    When the supervisors of "police_tak" acknowledge the escalation
    And "police_tak" completes "คัดแยกผู้เสียหายจากการค้ามนุษย์" with:
      | field                  | value                     |
      | interview_started_at   | 2026-11-30T11:00:00+07:00 |
      | interpreter_present    | true                      |
      | multidisciplinary_team | true                      |
      | victim_identified      | true                      |
      | exploitation_type      | forced_labour             |
      | police_case_opened     | true                      |
    Then "spm_tak" has an open task "ออกรหัส G และรับเข้าเรียน"
    And "pmj_tak" has an open task "ประเมินและวางแผนคุ้มครอง"
    And the task "ประเมินและวางแผนคุ้มครอง" is due 24 hours after it was created
    When "pmj_tak" completes "ประเมินและวางแผนคุ้มครอง" with:
      | field               | value                                |
      | assessment_date     | 2026-12-01                           |
      | case_classification | protection_s40                       |
      | welfare_measures    | ["reception_home", "family_tracing"] |
      | needs_shelter       | true                                 |
      | guardian_consent    | no_guardian                          |
    Then "shelter_tak" has an open task "ดูแลเด็กในสถานแรกรับ"
    And the task "ดูแลเด็กในสถานแรกรับ" is due 90 days after it was created

  Scenario: P7 a child kept in the reception home for 3 months escalates under s.56(1)
    Given the clock reads "2026-12-01T09:00:00+07:00"
    And a case of protocol "P7" started by "spm_tak"
    When "spm_tak" completes "รับเด็กและบันทึกตัวตน" with:
      | field                 | value         |
      | child_first_name      | โม            |
      | child_g_code          | G631234567891 |
      | child_language        | มอญ           |
      | identity_document     | g_code        |
      | interpreter_needed    | false         |
      | unaccompanied         | true          |
      | trafficking_indicator | false         |
    And "pmj_tak" completes "ประเมินและวางแผนคุ้มครอง" with:
      | field               | value       |
      | assessment_date     | 2026-12-01  |
      | case_classification | welfare_s32 |
      | needs_shelter       | true        |
      | guardian_consent    | no_guardian |
    Then the task "ดูแลเด็กในสถานแรกรับ" is due 90 days after it was created
    When 89 days pass
    Then "shelter_tak" has an open task "ดูแลเด็กในสถานแรกรับ"
    When 2 days pass
    Then a level-1 escalation targets "agency_supervisors" of "shelter_tak"
    When "shelter_tak" completes "ดูแลเด็กในสถานแรกรับ" with:
      | field                     | value      |
      | admission_date            | 2026-12-01 |
      | social_investigation_done | true       |
      | discharge_plan            | relative   |
      | discharge_date            | 2027-03-02 |
    Then "shelter_tak" has no open task "ดูแลเด็กในสถานแรกรับ"
