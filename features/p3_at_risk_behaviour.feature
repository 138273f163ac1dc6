Feature: P3 child at risk of misconduct and school discipline
  The competent official (or a s.24 person) takes in a child found at risk and questions the child
  (CPA s.44); a child brought to the office is held 12 hours at most from when the child was brought
  in (s.30(2)), and a child referred by the school's screening is never held.
  The culture office inspects a game or karaoke shop under the Film and Video Act B.E. 2551 and
  reports to the provincial committee; a student is taken to the school director by the student
  inspector (s.65) and the guardian is told; the social development office meets the guardian and
  sets conditions and measures (ss.44, 45); a centre placement needs the Governor's order (s.44);
  monitoring runs through the guardian's 120 days (s.46); a supervisor approves the closure.

  Scenario: P3 A student found in a game shop in school hours goes home under conditions, and a supervisor closes the case
    Given the clock reads "2026-11-30T10:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    Then "pmj_tak" has an open task "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด"
    When "pmj_tak" completes "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" with:
      | field              | value                                                              |
      | child_first_name   | เอก                                                                |
      | child_birth_date   | 2011-02-03                                                         |
      | child_school       | school_maesot                                                      |
      | guardians          | [{"name": "นางคำ", "relation": "parent", "alleged_abuser": false}] |
      | found_by           | police                                                             |
      | found_at           | 2026-11-30T09:30:00+07:00                                          |
      | found_place        | game_shop                                                          |
      | behaviours         | ["gaming_in_school_hours", "truancy"]                              |
      | is_student         | true                                                               |
      | alcohol_or_tobacco | false                                                              |
      | held_at_office     | true                                                               |
      | taken_at           | 2026-11-30T09:30:00+07:00                                          |
    Then the task "ซักถามเด็กที่นำตัวมาที่ทำการ" is due at "2026-11-30T21:30:00+07:00"
    When "pmj_tak" completes "ซักถามเด็กที่นำตัวมาที่ทำการ" with:
      | questioned_at     | 2026-11-30T10:15:00+07:00 |
      | child_cared_for   | true                      |
      | child_returned_at | 2026-11-30T13:00:00+07:00 |
    Then "culture_tak" has an open task "ตรวจร้านวีดิทัศน์"
    And "spm_tak" has an open task "สารวัตรนักเรียนนำตัวส่งโรงเรียน"
    When "culture_tak" completes "ตรวจร้านวีดิทัศน์" with:
      | venue_type          | game_shop           |
      | licence_checked     | true                |
      | breach_found        | true                |
      | licence_action      | suspension_proposed |
      | report_to_committee | true                |
    Then a level-1 escalation targets "provincial_committee"
    When "spm_tak" completes "สารวัตรนักเรียนนำตัวส่งโรงเรียน" with:
      | handed_over    | in_person                 |
      | handed_over_at | 2026-11-30T11:00:00+07:00 |
    And "spm_tak" completes "ผู้บริหารโรงเรียนสอบถามและอบรม" with:
      | school_rule_breached | true               |
      | discipline           | behaviour_activity |
    And "spm_tak" completes "แจ้งผู้ปกครองของนักเรียน" with:
      | guardian_notified        | true  |
      | method                   | phone |
      | guardian_collected_child | true  |
    Then "pmj_tak" has an open task "ประชุมผู้ปกครองและเด็ก"
    When "pmj_tak" completes "ประชุมผู้ปกครองและเด็ก" with:
      | meeting_date                | 2026-12-02                         |
      | guardian_summoned_by_letter | true                               |
      | guardian_attended           | true                               |
      | child_views                 | จะไม่โดดเรียนอีก อยากเล่นเกมหลังเลิกเรียน |
      | recommend_centre_placement  | false                              |
      | best_interests_considered   | true                               |
    Then "provadmin_tak" has no open task "ผู้ว่าราชการจังหวัดสั่งตามมาตรา 44"
    When "pmj_tak" completes "กำหนดข้อกำหนดและมาตรการ" with:
      | conditions  | ["avoid_places", "education"] |
      | s45_measure | warning                       |
      | notice_date | 2026-12-02                    |
    Then the task "ติดตามการปฏิบัติตามข้อกำหนด" is due 120 days after it was created
    When 30 days pass
    And "pmj_tak" completes "ติดตามการปฏิบัติตามข้อกำหนด" with:
      | conditions_followed | true      |
      | went_to_court       | false     |
      | outcome             | completed |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
    When "pmj_tak" completes "อนุมัติปิดกรณี" with:
      | closure_reason            | conditions_kept                          |
      | closure_summary           | นักเรียนมาเรียนสม่ำเสมอ ผู้ปกครองดูแลตามข้อกำหนด |
      | best_interests_considered | true                                     |
    Then the case is completed

  Scenario: P3 A school's referral is assessed without holding the child
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ภูมิ              |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem                        |
      | abuse_suspected | false                          |
      | risk_domains    | ["behaviour_emotion", "drugs"] |
    And "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["counselling", "behaviour_plan"] |
      | progress      | worse                             |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-02        |
      | conference_outcome        | external_referral |
      | best_interests_considered | true              |
    And "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | at_risk_behaviour              |
      | referral_reason           | มั่วสุมนอกโรงเรียนและสงสัยใช้ยาเสพติด |
      | best_interests_considered | true                           |
    Then a linked case of protocol "P3" is started
    And the linked case has an open task "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" for "pmj_tak"
    When "pmj_tak" completes "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" with:
      | child_first_name   | ภูมิ                         |
      | found_by           | school_referral            |
      | found_at           | 2026-12-02T10:00:00+07:00  |
      | found_place        | home_community             |
      | behaviours         | ["gang_nuisance", "drugs"] |
      | is_student         | true                       |
      | alcohol_or_tobacco | false                      |
      | held_at_office     | false                      |
    Then the linked case has an open task "สอบถามเด็กและหาข้อเท็จจริง" for "pmj_tak"
    When "pmj_tak" completes "สอบถามเด็กและหาข้อเท็จจริง" with:
      | questioned_on | 2026-12-03 |
    Then the linked case has an open task "สารวัตรนักเรียนนำตัวส่งโรงเรียน" for "spm_tak"

  Scenario: P3 A child held past the 12 hours of s.30(2) goes straight to the committee secretariat
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    When "pmj_tak" completes "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" with:
      | child_first_name   | ต้น                        |
      | found_by           | police                    |
      | found_at           | 2026-11-30T08:00:00+07:00 |
      | found_place        | public_place_at_night     |
      | behaviours         | ["gang_nuisance"]         |
      | is_student         | false                     |
      | alcohol_or_tobacco | false                     |
      | held_at_office     | true                      |
      | taken_at           | 2026-11-30T08:30:00+07:00 |
    Then the task "ซักถามเด็กที่นำตัวมาที่ทำการ" is due at "2026-11-30T20:30:00+07:00"
    When 11 hours pass
    Then no escalation targets "committee_secretariat"
    When 1 hour passes
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    And a level-1 escalation targets "committee_secretariat" of "pmj_tak"

  Scenario: P3 A child buying alcohol at night, not a student, is placed in a centre by the Governor's order
    Given the clock reads "2026-11-30T22:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    When "pmj_tak" completes "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" with:
      | child_first_name   | บอย                          |
      | found_by           | police                       |
      | found_at           | 2026-11-30T21:40:00+07:00    |
      | found_place        | public_place_at_night        |
      | behaviours         | ["alcohol", "gang_nuisance"] |
      | is_student         | false                        |
      | alcohol_or_tobacco | true                         |
      | held_at_office     | true                         |
      | taken_at           | 2026-11-30T21:45:00+07:00    |
    And "pmj_tak" completes "ซักถามเด็กที่นำตัวมาที่ทำการ" with:
      | questioned_at     | 2026-11-30T22:00:00+07:00         |
      | facts_summary     | ออกจากบ้านกลางคืนเป็นประจำ ไม่มีใครดูแล |
      | child_cared_for   | true                              |
      | child_returned_at | 2026-12-01T07:00:00+07:00         |
    Then "pmj_tak" has an open task "ประชุมผู้ปกครองและเด็ก"
    And "spm_tak" has no open task "สารวัตรนักเรียนนำตัวส่งโรงเรียน"
    And "culture_tak" has no open task "ตรวจร้านวีดิทัศน์"
    When "pmj_tak" completes "ประชุมผู้ปกครองและเด็ก" with:
      | meeting_date                | 2026-12-01 |
      | guardian_summoned_by_letter | true       |
      | guardian_attended           | false      |
      | recommend_centre_placement  | true       |
      | best_interests_considered   | true       |
    Then a level-1 escalation targets "committee_chair_office" of "provadmin_tak"
    When "provadmin_tak" completes "ผู้ว่าราชการจังหวัดสั่งตามมาตรา 44" with:
      | order_decision           | centre_placement |
      | experts_consulted        | true             |
      | order_date               | 2026-12-03       |
      | guardian_notified_on     | 2026-12-04       |
      | right_to_court_explained | true             |
    Then "pmj_tak" has an open task "ติดตามการปฏิบัติตามข้อกำหนด"
    And "pmj_tak" has no open task "กำหนดข้อกำหนดและมาตรการ"

  Scenario: P3 The 120 days of s.46 end while monitoring is still open
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    When "pmj_tak" completes "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" with:
      | child_first_name   | ฟ้า                        |
      | found_by           | s24_person                |
      | found_at           | 2026-11-30T08:00:00+07:00 |
      | found_place        | home_community            |
      | behaviours         | ["violence_bullying"]     |
      | is_student         | false                     |
      | alcohol_or_tobacco | false                     |
      | held_at_office     | false                     |
    And "pmj_tak" completes "สอบถามเด็กและหาข้อเท็จจริง" with:
      | questioned_on | 2026-11-30                                  |
      | facts_summary | ทะเลาะวิวาทกับเพื่อนบ้านบ่อย ผู้ปกครองทำงานต่างอำเภอ |
    And "pmj_tak" completes "ประชุมผู้ปกครองและเด็ก" with:
      | meeting_date                | 2026-12-01 |
      | guardian_summoned_by_letter | true       |
      | guardian_attended           | true       |
      | recommend_centre_placement  | false      |
      | best_interests_considered   | true       |
    And "pmj_tak" completes "กำหนดข้อกำหนดและมาตรการ" with:
      | conditions               | ["no_harmful_conduct", "community_activity"] |
      | s45_measure              | community_service                            |
      | community_service_hours  | 20                                           |
      | notice_date              | 2026-11-30                                   |
      | right_to_court_explained | true                                         |
    Then the task "ติดตามการปฏิบัติตามข้อกำหนด" is due 120 days after it was created
    When 119 days pass
    Then no escalation targets "agency_supervisors"
    When 2 days pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    And "pmj_tak" completes "ติดตามการปฏิบัติตามข้อกำหนด" with:
      | conditions_followed | true      |
      | went_to_court       | false     |
      | outcome             | completed |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
