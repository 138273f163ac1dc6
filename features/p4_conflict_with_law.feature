Feature: P4 child in conflict with the law
  The police record the arrest and tell the parents and the observation centre. A child under 12
  bears no criminal liability and is referred to the welfare path (P1). Otherwise the court
  reviews the arrest within 24 hours, the observation centre investigates, the police file reaches
  the prosecutor within 30 days of the arrest, the centre plans diversion or rehabilitation,
  public health treats drug use when needed, the school keeps the child learning and the social
  development office supports the return to family and community.

  Scenario: P4 a 15-year-old is diverted, treated for drug use and kept in school
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" with:
      | field                       | value                                                      |
      | child_first_name            | ภูผา                                                       |
      | child_last_name             | ทองดี                                                      |
      | child_birth_date            | 2011-03-02                                                 |
      | child_national_id           | "3500100456782"                                            |
      | child_school                | school_takpit                                              |
      | guardians                   | [{"name": "บุญมี ทองดี", "relation": "parent", "alleged_abuser": false}] |
      | age                         | 15                                                         |
      | custody_type                | arrest                                                     |
      | arrested_at                 | 2026-11-30T08:30:00+07:00                                  |
      | offence_category            | drugs                                                      |
      | parents_notified            | true                                                       |
      | observation_centre_notified | true                                                       |
    Then "police_tak" has an open task "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ"
    And "police_tak" has an open task "สอบสวน และ ส่ง สำนวน ให้ พนักงานอัยการ"
    And the task "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" is due 24 hours after it was created
    And the task "สอบสวน และ ส่ง สำนวน ให้ พนักงานอัยการ" is due 720 hours after it was created
    When "police_tak" completes "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" with:
      | field               | value                     |
      | brought_to_court_at | 2026-11-30T14:00:00+07:00 |
      | arrest_lawful       | true                      |
      | court_order         | release_to_guardian       |
    Then "djop_tak" has an open task "สืบเสาะ ข้อเท็จจริง เกี่ยวกับ เด็ก และ ครอบครัว"
    When "djop_tak" completes "สืบเสาะ ข้อเท็จจริง เกี่ยวกับ เด็ก และ ครอบครัว" with:
      | field                   | value                                   |
      | report_date             | 2026-12-07                              |
      | family_situation        | อยู่ กับ บิดา ซึ่ง ทำงาน ต่าง อำเภอ ขาด ผู้ ดูแล ช่วง กลางคืน |
      | substance_use_indicated | true                                    |
      | in_school               | true                                    |
      | diversion_recommended   | true                                    |
    And "police_tak" completes "สอบสวน และ ส่ง สำนวน ให้ พนักงานอัยการ" with:
      | field                  | value      |
      | file_sent_on           | 2026-12-10 |
      | interview_team_present | true       |
      | extension_requested    | false      |
      | police_opinion         | prosecute  |
    Then "djop_tak" has an open task "จัดทำ แผน แก้ไข บำบัด ฟื้นฟู"
    When "djop_tak" completes "จัดทำ แผน แก้ไข บำบัด ฟื้นฟู" with:
      | field                     | value                                                  |
      | route                     | pre_trial_diversion                                    |
      | plan_summary              | บำบัด ยาเสพติด แบบ ผู้ป่วย นอก เรียน ต่อ และ ทำ กิจกรรม บำเพ็ญ ประโยชน์ |
      | family_conference_held    | true                                                   |
      | needs_drug_treatment      | true                                                   |
      | best_interests_considered | true                                                   |
    Then "health_tak" has an open task "บำบัด ฟื้นฟู ผู้ ใช้ ยาเสพติด"
    When "health_tak" completes "บำบัด ฟื้นฟู ผู้ ใช้ ยาเสพติด" with:
      | field      | value      |
      | programme  | outpatient |
      | started_on | 2026-12-14 |
      | completed  | true       |
    And "spm_tak" completes "จัด การ เรียน ต่อเนื่อง" with:
      | field                  | value     |
      | arrangement            | same_school |
      | counselling_arranged   | true      |
      | confidentiality_briefed | true     |
    And "pmj_tak" completes "ติดตาม การ กลับ สู่ ครอบครัว และ ชุมชน" with:
      | field           | value                          |
      | follow_up_date  | 2027-01-15                     |
      | family_support  | ["counselling", "parenting"] |
      | outcome         | reintegrated                   |
    Then the case is completed

  Scenario: P4 the court review of the arrest is late
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | ก้อง                       |
      | age                         | 16                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:45:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    Then the task "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" is due 24 hours after it was created
    When 25 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    When the supervisors of "police_tak" acknowledge the escalation
    And "police_tak" completes "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" with:
      | field               | value                     |
      | brought_to_court_at | 2026-12-01T11:00:00+07:00 |
      | arrest_lawful       | true                      |
      | court_order         | observation_centre        |
    Then "police_tak" has no open task "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ"
    And "djop_tak" has an open task "สืบเสาะ ข้อเท็จจริง เกี่ยวกับ เด็ก และ ครอบครัว"
    And "police_tak" has an open task "สอบสวน และ ส่ง สำนวน ให้ พนักงานอัยการ"

  Scenario: P4 nobody acts on the arrest review for two days
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | เอก                       |
      | age                         | 14                        |
      | custody_type                | summons                   |
      | arrested_at                 | 2026-11-30T08:00:00+07:00 |
      | offence_category            | violence                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    And 25 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    When 24 hours pass
    Then a level-2 escalation targets "committee_secretariat"

  Scenario: P4 a child under 12 is referred to the welfare path
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P4" started by "police_tak"
    When "police_tak" completes "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" with:
      | field                       | value                     |
      | child_first_name            | น้ำ                        |
      | child_birth_date            | 2015-02-10                |
      | age                         | 11                        |
      | custody_type                | summons                   |
      | arrested_at                 | 2026-11-30T08:00:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้ง เหตุ" for "pmj_tak"
    And the case is completed
