Feature: P4 child in conflict with the law
  The police record the arrest and tell the parents and the observation centre at once. A child
  under 12 bears no criminal liability: the observation centre takes the case, without arrest
  review or prosecution, and refers the child to the welfare path (P1) when needed. Otherwise the
  court reviews the arrest within 24 hours of the arrest, the observation centre investigates, the
  police interview the child suspect (CrimPC s.134/2) and send the file, and the prosecutor's 30
  days from the arrest are tracked. The centre plans diversion or rehabilitation with the child's
  and the victim's consent, public health treats drug use when needed, the school keeps a student
  learning, the social development office supports the return home, and the centre's supervisor
  approves the closure.

  Scenario: P4 a 15-year-old is diverted with the consents the plan needs, treated for drug use, kept in school, and the case is closed
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึกการจับและแจ้งผู้ปกครอง" with:
      | field                       | value                                                                 |
      | child_first_name            | ภูผา                                                                   |
      | child_last_name             | ทองดี                                                                  |
      | child_birth_date            | 2011-03-02                                                            |
      | child_national_id           | "3500100456782"                                                       |
      | child_school                | school_takpit                                                         |
      | child_is_student            | true                                                                  |
      | guardians                   | [{"name": "บุญมี ทองดี", "relation": "parent", "alleged_abuser": false}] |
      | age                         | 15                                                                    |
      | custody_type                | arrest                                                                |
      | arrested_at                 | 2026-11-30T08:30:00+07:00                                             |
      | offence_category            | drugs                                                                 |
      | parents_notified            | true                                                                  |
      | observation_centre_notified | true                                                                  |
    Then "police_tak" has an open task "ส่งตัวเด็กให้ศาลตรวจสอบการจับ"
    And "police_tak" has an open task "ถามปากคำเด็กผู้ต้องหา"
    And the task "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" is due at "2026-12-01T08:30:00+07:00"
    When "police_tak" completes "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" with:
      | field               | value                     |
      | brought_to_court_at | 2026-11-30T14:00:00+07:00 |
      | arrest_lawful       | true                      |
      | court_order         | release_to_guardian       |
    Then "djop_tak" has an open task "สืบเสาะข้อเท็จจริงเกี่ยวกับเด็กและครอบครัว"
    When "police_tak" completes "ถามปากคำเด็กผู้ต้องหา" with:
      | field                | value                                                       |
      | interviewed_at       | 2026-11-30T15:00:00+07:00                                   |
      | interview_team       | ["social_worker", "prosecutor", "lawyer", "trusted_person"] |
      | child_friendly_place | true                                                        |
    And "police_tak" completes "ส่งสำนวนให้พนักงานอัยการ" with:
      | field          | value      |
      | file_sent_on   | 2026-12-10 |
      | police_opinion | prosecute  |
    Then the task "ติดตามการฟ้องของพนักงานอัยการ" is due at "2026-12-30T08:30:00+07:00"
    When "djop_tak" completes "สืบเสาะข้อเท็จจริงเกี่ยวกับเด็กและครอบครัว" with:
      | field                   | value                                    |
      | report_date             | 2026-12-07                               |
      | family_situation        | อยู่กับบิดาซึ่งทำงานต่างอำเภอ ขาดคนดูแลช่วงกลางคืน |
      | substance_use_indicated | true                                     |
      | in_school               | true                                     |
      | diversion_recommended   | true                                     |
    And "police_tak" completes "ติดตามการฟ้องของพนักงานอัยการ" with:
      | field      | value      |
      | outcome    | diversion  |
      | decided_on | 2026-12-20 |
    Then "djop_tak" has an open task "จัดทำแผนแก้ไขบำบัดฟื้นฟู"
    When "djop_tak" completes "จัดทำแผนแก้ไขบำบัดฟื้นฟู" with:
      | field                     | value                                                |
      | route                     | pre_trial_diversion                                  |
      | plan_summary              | บำบัดยาเสพติดแบบผู้ป่วยนอก เรียนต่อ และทำกิจกรรมบำเพ็ญประโยชน์ |
      | family_conference_held    | true                                                 |
      | child_consents            | true                                                 |
      | victim_consent            | no_victim                                            |
      | guardian_consulted        | true                                                 |
      | child_views               | อยากเรียนต่อและเลิกยา                                   |
      | needs_drug_treatment      | true                                                 |
      | best_interests_considered | true                                                 |
    Then "health_tak" has an open task "บำบัดฟื้นฟูผู้ใช้ยาเสพติด"
    When "health_tak" completes "บำบัดฟื้นฟูผู้ใช้ยาเสพติด" with:
      | field      | value      |
      | programme  | outpatient |
      | started_on | 2026-12-14 |
      | completed  | true       |
    And "spm_tak" completes "จัดการเรียนต่อเนื่อง" with:
      | field                   | value       |
      | arrangement             | same_school |
      | counselling_arranged    | true        |
      | confidentiality_briefed | true        |
    And "pmj_tak" completes "ติดตามการกลับสู่ครอบครัวและชุมชน" with:
      | field          | value                        |
      | follow_up_date | 2027-01-15                   |
      | family_support | ["counselling", "parenting"] |
      | outcome        | reintegrated                 |
    Then "djop_tak" has an open task "อนุมัติปิดกรณี"
    When "djop_tak" completes "อนุมัติปิดกรณี" with:
      | field                     | value                                          |
      | closure_reason            | plan_completed                                 |
      | closure_summary           | บำบัดครบตามแผน กลับไปเรียนที่เดิม ครอบครัวได้รับคำปรึกษา |
      | best_interests_considered | true                                           |
    Then the case is completed

  Scenario: P4 diversion without the victim's consent is refused, and the case goes to prosecution
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึกการจับและแจ้งผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | เก่ง                       |
      | child_is_student            | false                     |
      | age                         | 16                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:00:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    And "police_tak" completes "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" with:
      | field               | value                     |
      | brought_to_court_at | 2026-11-30T13:00:00+07:00 |
      | court_order         | release_to_guardian       |
    And "djop_tak" completes "สืบเสาะข้อเท็จจริงเกี่ยวกับเด็กและครอบครัว" with:
      | field                 | value      |
      | report_date           | 2026-12-04 |
      | diversion_recommended | true       |
    And "police_tak" completes "ถามปากคำเด็กผู้ต้องหา" with:
      | field          | value                                    |
      | interviewed_at | 2026-11-30T15:00:00+07:00                |
      | interview_team | ["psychologist", "prosecutor", "lawyer"] |
    And "police_tak" completes "ส่งสำนวนให้พนักงานอัยการ" with:
      | field          | value      |
      | file_sent_on   | 2026-12-05 |
      | police_opinion | prosecute  |
    And "police_tak" completes "ติดตามการฟ้องของพนักงานอัยการ" with:
      | field          | value             |
      | outcome        | extension_granted |
      | decided_on     | 2026-12-28        |
      | extended_until | 2027-01-10        |
    Then "djop_tak" has an open task "จัดทำแผนแก้ไขบำบัดฟื้นฟู"
    When "djop_tak" cannot complete "จัดทำแผนแก้ไขบำบัดฟื้นฟู" with:
      | field                     | value               |
      | route                     | pre_trial_diversion |
      | child_consents            | true                |
      | victim_consent            | refused             |
      | guardian_consulted        | true                |
      | needs_drug_treatment      | false               |
      | best_interests_considered | true                |
    Then "djop_tak" has an open task "จัดทำแผนแก้ไขบำบัดฟื้นฟู"
    When "djop_tak" completes "จัดทำแผนแก้ไขบำบัดฟื้นฟู" with:
      | field                     | value       |
      | route                     | prosecution |
      | victim_consent            | refused     |
      | needs_drug_treatment      | false       |
      | best_interests_considered | true        |
    Then "pmj_tak" has an open task "ติดตามการกลับสู่ครอบครัวและชุมชน"
    And "spm_tak" has no open task "จัดการเรียนต่อเนื่อง"

  Scenario: P4 the court review of the arrest is late, counted from the arrest
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    And 2 hours pass
    When "police_tak" completes "บันทึกการจับและแจ้งผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | ก้อง                       |
      | child_is_student            | true                      |
      | age                         | 16                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:45:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    Then the task "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" is due at "2026-12-01T08:45:00+07:00"
    When 22 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    When the supervisors of "police_tak" acknowledge the escalation
    And "police_tak" completes "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" with:
      | field               | value                     |
      | brought_to_court_at | 2026-12-01T11:00:00+07:00 |
      | arrest_lawful       | true                      |
      | court_order         | observation_centre        |
    Then "police_tak" has no open task "ส่งตัวเด็กให้ศาลตรวจสอบการจับ"
    And "djop_tak" has an open task "สืบเสาะข้อเท็จจริงเกี่ยวกับเด็กและครอบครัว"
    And "police_tak" has an open task "ถามปากคำเด็กผู้ต้องหา"

  Scenario: P4 a child under 12 goes to the observation centre and on to the welfare path
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึกการจับและแจ้งผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | น้ำ                        |
      | child_birth_date            | 2015-02-10                |
      | child_is_student            | true                      |
      | age                         | 11                        |
      | custody_type                | summons                   |
      | arrested_at                 | 2026-11-30T08:00:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    Then "djop_tak" has an open task "สถานพินิจดูแลเด็กอายุไม่ถึง 12 ปี"
    And "police_tak" has no open task "ส่งตัวเด็กให้ศาลตรวจสอบการจับ"
    And "police_tak" has no open task "ถามปากคำเด็กผู้ต้องหา"
    When "djop_tak" completes "สถานพินิจดูแลเด็กอายุไม่ถึง 12 ปี" with:
      | field             | value                              |
      | assessed_on       | 2026-12-01                         |
      | measures          | ["guardian_advice", "counselling"] |
      | guardian_informed | true                               |
      | needs_cpa_welfare | true                               |
      | child_views       | กลัวพ่อดุ อยากให้แม่มารับ                |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And "djop_tak" has an open task "อนุมัติปิดกรณี"
