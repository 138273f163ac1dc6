Feature: P3 child at risk of misconduct and school discipline
  The police question the child (CPA s.44; at most 12 hours, s.30(2)); the culture office
  inspects the game shop or venue (s.66(5)); a student goes to the school director (s.65) and
  the guardian is told; the social development office meets the guardian and sets conditions
  and measures (ss.44, 45); a centre placement needs the Governor's order (s.44); monitoring
  runs through the guardian's 120-day appeal window (s.46).

  Scenario: P3 A student found in a game shop in school hours is returned to the guardian under conditions
    Given the clock reads "2026-11-30T10:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    Then "police_tak" has an open task "สอบถาม ข้อเท็จจริง จาก เด็ก"
    And the task "สอบถาม ข้อเท็จจริง จาก เด็ก" is due 12 hours after it was created
    When "police_tak" completes "สอบถาม ข้อเท็จจริง จาก เด็ก" with:
      | field              | value                                                          |
      | child_first_name   | เอก                                                            |
      | child_birth_date   | 2011-02-03                                                     |
      | child_school       | school_maesot                                                  |
      | guardians          | [{"name": "นางคำ", "relation": "parent", "alleged_abuser": false}] |
      | found_at           | 2026-11-30T09:30:00+07:00                                      |
      | found_place        | game_shop                                                      |
      | behaviours         | ["gaming_in_school_hours", "truancy"]                          |
      | is_student         | true                                                           |
      | alcohol_or_tobacco | false                                                          |
      | child_returned_at  | 2026-11-30T13:00:00+07:00                                      |
    Then "culture_tak" has an open task "ตรวจสอบ ร้านเกม และ สถาน บริการ"
    And "spm_tak" has an open task "ผู้อำนวยการ สอบถาม และ ว่ากล่าว"
    And "police_tak" has no open task "สอบถาม ข้อเท็จจริง จาก เด็ก"
    When "culture_tak" completes "ตรวจสอบ ร้านเกม และ สถาน บริการ" with:
      | venue_type          | game_shop |
      | licence_checked     | true      |
      | breach_found        | true      |
      | action_taken        | warning   |
      | report_to_committee | true      |
    And "spm_tak" completes "ผู้อำนวยการ สอบถาม และ ว่ากล่าว" with:
      | school_rule_breached | true               |
      | discipline           | behaviour_activity |
    Then "spm_tak" has an open task "แจ้ง ผู้ปกครอง"
    When "spm_tak" completes "แจ้ง ผู้ปกครอง" with:
      | guardian_notified        | true  |
      | method                   | phone |
      | guardian_collected_child | true  |
    Then "pmj_tak" has an open task "ประชุม ผู้ปกครอง และ เด็ก"
    When "pmj_tak" completes "ประชุม ผู้ปกครอง และ เด็ก" with:
      | meeting_date               | 2026-12-02 |
      | guardian_attended          | true       |
      | recommend_centre_placement | false      |
      | best_interests_checked     | true       |
    Then "pmj_tak" has an open task "กำหนด เงื่อนไข และ มาตรการ"
    And "provadmin_tak" has no open task "ผู้ว่าราชการจังหวัด ออก คำสั่ง"
    When "pmj_tak" completes "กำหนด เงื่อนไข และ มาตรการ" with:
      | conditions  | ["avoid_places", "education"] |
      | s45_measure | warning                       |
      | notice_date | 2026-12-02                    |
    Then "pmj_tak" has an open task "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข"
    And the task "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข" is due 120 days after it was created
    When 30 days pass
    And "pmj_tak" completes "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข" with:
      | conditions_followed | true      |
      | appeal_filed        | false     |
      | outcome             | completed |
    Then the case is completed

  Scenario: P3 A child buying alcohol at night, not a student, is recommended for a centre and the Governor orders it
    Given the clock reads "2026-11-30T22:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    When "police_tak" completes "สอบถาม ข้อเท็จจริง จาก เด็ก" with:
      | child_first_name   | บอย                                |
      | found_at           | 2026-11-30T21:40:00+07:00          |
      | found_place        | public_place_at_night              |
      | behaviours         | ["alcohol", "gang_nuisance"]       |
      | is_student         | false                              |
      | alcohol_or_tobacco | true                               |
      | facts_summary      | ไม่ มี ผู้ดูแล ออก จาก บ้าน เป็น ประจำ |
    Then "pmj_tak" has an open task "ประชุม ผู้ปกครอง และ เด็ก"
    And "spm_tak" has no open task "ผู้อำนวยการ สอบถาม และ ว่ากล่าว"
    And "culture_tak" has no open task "ตรวจสอบ ร้านเกม และ สถาน บริการ"
    When "pmj_tak" completes "ประชุม ผู้ปกครอง และ เด็ก" with:
      | meeting_date               | 2026-12-01 |
      | guardian_attended          | false      |
      | recommend_centre_placement | true       |
      | best_interests_checked     | true       |
    Then a level-1 escalation targets "committee_chair_office" of "provadmin_tak"
    And "provadmin_tak" has an open task "ผู้ว่าราชการจังหวัด ออก คำสั่ง"
    When "provadmin_tak" completes "ผู้ว่าราชการจังหวัด ออก คำสั่ง" with:
      | order_decision    | centre_placement |
      | experts_consulted | true             |
      | order_date        | 2026-12-03       |
    Then "pmj_tak" has an open task "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข"
    And "pmj_tak" has no open task "กำหนด เงื่อนไข และ มาตรการ"

  Scenario: P3 The Governor returns the child with conditions instead of a placement
    Given the clock reads "2026-11-30T10:00:00+07:00"
    And a case of protocol "P3" started by "culture_tak"
    When "police_tak" completes "สอบถาม ข้อเท็จจริง จาก เด็ก" with:
      | child_first_name   | แก้ว                   |
      | found_at           | 2026-11-30T09:45:00+07:00 |
      | found_place        | entertainment_venue    |
      | behaviours         | ["alcohol"]            |
      | is_student         | false                  |
      | alcohol_or_tobacco | true                   |
    And "pmj_tak" completes "ประชุม ผู้ปกครอง และ เด็ก" with:
      | meeting_date               | 2026-12-01 |
      | guardian_attended          | true       |
      | recommend_centre_placement | true       |
      | best_interests_checked     | true       |
    And "provadmin_tak" completes "ผู้ว่าราชการจังหวัด ออก คำสั่ง" with:
      | order_decision | return_with_conditions |
      | order_date     | 2026-12-04             |
    Then "pmj_tak" has an open task "กำหนด เงื่อนไข และ มาตรการ"
    And "culture_tak" has an open task "ตรวจสอบ ร้านเกม และ สถาน บริการ"

  Scenario: P3 Questioning runs past the 12-hour limit of s.30(2)
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    Then the task "สอบถาม ข้อเท็จจริง จาก เด็ก" is due 12 hours after it was created
    When 11 hours pass
    Then "police_tak" has an open task "สอบถาม ข้อเท็จจริง จาก เด็ก"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    And "police_tak" has an open task "สอบถาม ข้อเท็จจริง จาก เด็ก"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"

  Scenario: P3 The 120-day appeal window closes while monitoring is still open
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P3" started by "police_tak"
    When "police_tak" completes "สอบถาม ข้อเท็จจริง จาก เด็ก" with:
      | child_first_name   | ฟ้า                          |
      | found_at           | 2026-11-30T08:00:00+07:00    |
      | found_place        | home_community               |
      | behaviours         | ["violence_bullying"]        |
      | is_student         | false                        |
      | alcohol_or_tobacco | false                        |
    And "pmj_tak" completes "ประชุม ผู้ปกครอง และ เด็ก" with:
      | meeting_date               | 2026-12-01 |
      | guardian_attended          | true       |
      | recommend_centre_placement | false      |
      | best_interests_checked     | true       |
    And "pmj_tak" completes "กำหนด เงื่อนไข และ มาตรการ" with:
      | conditions              | ["no_harmful_conduct", "community_activity"] |
      | s45_measure             | community_service                           |
      | community_service_hours | 20                                          |
      | notice_date             | 2026-11-30                                  |
    Then the task "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข" is due 120 days after it was created
    When 119 days pass
    Then "pmj_tak" has an open task "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข"
    When 2 days pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    And "pmj_tak" completes "ติดตาม การ ปฏิบัติ ตาม เงื่อนไข" with:
      | conditions_followed | true      |
      | appeal_filed        | false     |
      | outcome             | completed |
    Then the case is completed
