Feature: P1 suspected abuse or neglect
  A school reports a child who may be abused. The social development office takes the report and
  triages it; the police receive it and separate the child when needed; the hospital examines the
  child; the police question the child within 12 hours (CPA s.30(2)); a separated child goes to
  the reception home and the shelter investigates (7 days at most, s.42); the school reports; the
  multidisciplinary team meets and the social development office makes the s.33 plan, which the
  Governor orders when the guardian refuses.

  Scenario: P1 a separated child is placed in foster care with the guardian's consent
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_takpit"
    When "pmj_tak" completes "รับแจ้ง เหตุ" with:
      | field             | value                                                                                                                                      |
      | child_first_name  | มะลิ                                                                                                                                       |
      | child_last_name   | ใจดี                                                                                                                                       |
      | child_birth_date  | 2011-05-14                                                                                                                                 |
      | child_national_id | "1103700123458"                                                                                                                            |
      | child_language    | ไทย                                                                                                                                        |
      | child_school      | school_takpit                                                                                                                              |
      | guardians         | [{"name": "สมชาย ใจดี", "relation": "parent", "alleged_abuser": true}, {"name": "สมศรี ใจดี", "relation": "parent", "alleged_abuser": false}] |
      | report_channel    | school                                                                                                                                     |
      | reporter_unit     | school_takpit                                                                                                                              |
      | concern_type      | ["physical_abuse"]                                                                                                                         |
      | incident_summary  | ครู ประจำ ชั้น พบ รอย ฟกช้ำ ที่ แขน เด็ก บอก ว่า ถูก ตี ที่ บ้าน                                                                                      |
      | basic_aid_given   | true                                                                                                                                       |
    And "pmj_tak" completes "คัดกรอง และ ประเมิน ความ เสี่ยง" with:
      | field                       | value |
      | risk_level                  | high  |
      | needs_separation            | true  |
      | alleged_abuser_in_household | true  |
      | best_interests_considered   | true  |
    Then "police_tak" has an open task "รับ แจ้ง ความ และ แยก ตัว เด็ก"
    When "police_tak" completes "รับ แจ้ง ความ และ แยก ตัว เด็ก" with:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:30:00+07:00 |
      | police_log_number  | 123/2569                  |
      | child_separated    | true                      |
      | separated_at       | 2026-11-30T10:15:00+07:00 |
    And "health_tak" completes "ตรวจ ร่างกาย และ จิตใจ" with:
      | field                       | value                     |
      | examined_at                 | 2026-11-30T11:00:00+07:00 |
      | facility                    | tak_hospital_oscc         |
      | injuries_found              | true                      |
      | forensic_evidence_collected | true                      |
      | mental_health_referral      | true                      |
    Then the task "สอบ ปากคำ เด็ก" is due 12 hours after it was created
    When "police_tak" completes "สอบ ปากคำ เด็ก" with:
      | field              | value                                              |
      | questioned_at      | 2026-11-30T13:00:00+07:00                          |
      | interview_team     | ["psychologist", "social_worker", "prosecutor"] |
      | statement_recorded | true                                               |
      | child_cared_for    | true                                               |
    Then "shelter_tak" has an open task "รับ เด็ก เข้า สถานแรกรับ"
    When "shelter_tak" completes "รับ เด็ก เข้า สถานแรกรับ" with:
      | field                    | value                     |
      | admitted_at              | 2026-11-30T16:00:00+07:00 |
      | official_report_received | true                      |
      | experts_consulted        | true                      |
    Then the task "สืบเสาะ และ พินิจ" is due 168 hours after it was created
    When "shelter_tak" completes "สืบเสาะ และ พินิจ" with:
      | field                     | value                                                        |
      | family_assessment         | บิดา ดื่ม สุรา และ ทำร้าย เด็ก ซ้ำ มารดา ต้องการ ให้ เด็ก ปลอดภัย |
      | home_safe_for_return      | false                                                        |
      | recommended_measure       | foster_family                                                |
      | court_extension_requested | false                                                        |
    And "spm_tak" completes "ส่ง รายงาน ของ โรงเรียน" with:
      | field                | value                                      |
      | teacher_observations | เด็ก มี รอย ฟกช้ำ บ่อย และ ซึม ใน ชั้น เรียน     |
      | attendance_concern   | true                                       |
      | prior_incidents      | true                                       |
      | school_support_plan  | ครู แนะแนว พบ เด็ก ทุก สัปดาห์ และ จัด ที่ เรียน ปลอดภัย |
    And "pmj_tak" completes "ประชุม ทีม สหวิชาชีพ" with:
      | field                         | value                                                                  |
      | conference_date               | 2026-12-03                                                             |
      | agencies_present              | ["pmj_tak", "police_tak", "health_tak", "shelter_tak", "spm_tak"] |
      | social_work_expert_heard      | true                                                                   |
      | medical_expert_heard          | true                                                                   |
      | conference_recommendation     | foster_family                                                          |
      | court_protection_order_needed | true                                                                   |
      | best_interests_considered     | true                                                                   |
    And "pmj_tak" completes "จัดทำ แผน สงเคราะห์ และ ขอ ความ ยินยอม" with:
      | field                     | value         |
      | welfare_measure           | foster_family |
      | guardian_consents         | true          |
      | consent_form              | written       |
      | best_interests_considered | true          |
    Then "provadmin_tak" has no open task "ออก คำสั่ง ผู้ว่าราชการจังหวัด"
    And the case is completed

  Scenario: P1 the guardian refuses and the Governor orders the measure
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_maesot"
    When "pmj_tak" completes "รับแจ้ง เหตุ" with:
      | field            | value                                                       |
      | child_first_name | นาน                                                         |
      | child_birth_date | 2010-08-02                                                  |
      | child_g_code     | G456789012345                                               |
      | child_language   | พม่า                                                        |
      | child_school     | school_maesot                                               |
      | guardians        | [{"name": "ดอ ทิน", "relation": "employer", "alleged_abuser": false}] |
      | report_channel   | school                                                      |
      | concern_type     | ["neglect"]                                                 |
      | incident_summary | เด็ก ขาด เรียน บ่อย ทำงาน ใน ไร่ ของ นายจ้าง จน ดึก ไม่ ได้ กิน อาหาร เพียงพอ      |
    And "pmj_tak" completes "คัดกรอง และ ประเมิน ความ เสี่ยง" with:
      | field                     | value  |
      | risk_level                | medium |
      | needs_separation          | false  |
      | best_interests_considered | true   |
    And "police_tak" completes "รับ แจ้ง ความ และ แยก ตัว เด็ก" with:
      | field              | value                     |
      | report_received_at | 2026-11-30T10:00:00+07:00 |
      | child_separated    | false                     |
    And "health_tak" completes "ตรวจ ร่างกาย และ จิตใจ" with:
      | field          | value                     |
      | examined_at    | 2026-11-30T13:00:00+07:00 |
      | facility       | maesot_hospital_oscc      |
      | injuries_found | false                     |
    And "police_tak" completes "สอบ ปากคำ เด็ก" with:
      | field          | value                                        |
      | questioned_at  | 2026-11-30T15:00:00+07:00                    |
      | interview_team | ["social_worker", "interpreter"] |
    Then "shelter_tak" has no open task "รับ เด็ก เข้า สถานแรกรับ"
    And "shelter_tak" has an open task "สืบเสาะ และ พินิจ"
    When "shelter_tak" completes "สืบเสาะ และ พินิจ" with:
      | field                | value                                         |
      | family_assessment    | บิดา มารดา อยู่ ฝั่ง เมียนมา นายจ้าง ให้ เด็ก ทำงาน แทน การ เรียน |
      | home_safe_for_return | false                                         |
      | recommended_measure  | education_rehabilitation                      |
    And "spm_tak" completes "ส่ง รายงาน ของ โรงเรียน" with:
      | field                | value                             |
      | teacher_observations | ขาด เรียน 20 วัน ใน ภาค เรียน นี้ และ ง่วง ใน ชั้น |
      | attendance_concern   | true                              |
    And "pmj_tak" completes "ประชุม ทีม สหวิชาชีพ" with:
      | field                     | value                                                   |
      | conference_date           | 2026-12-02                                              |
      | agencies_present          | ["pmj_tak", "shelter_tak", "spm_tak", "health_tak"] |
      | social_work_expert_heard  | true                                                    |
      | medical_expert_heard      | true                                                    |
      | conference_recommendation | education_rehabilitation                                |
      | best_interests_considered | true                                                    |
    And "pmj_tak" completes "จัดทำ แผน สงเคราะห์ และ ขอ ความ ยินยอม" with:
      | field                     | value                               |
      | welfare_measure           | education_rehabilitation            |
      | guardian_consents         | false                               |
      | refusal_reason            | นายจ้าง ต้องการ ให้ เด็ก ทำงาน ต่อ      |
      | best_interests_considered | true                                |
    Then "provadmin_tak" has an open task "ออก คำสั่ง ผู้ว่าราชการจังหวัด"
    When "provadmin_tak" completes "ออก คำสั่ง ผู้ว่าราชการจังหวัด" with:
      | field                       | value                    |
      | order_number                | 45/2569                  |
      | order_date                  | 2026-12-03               |
      | ordered_measure             | education_rehabilitation |
      | placement_duration          | P6M                      |
      | experts_report_heard        | true                     |
      | guardian_notified_of_appeal | true                     |
    Then the case is completed

  Scenario: P1 the police are late questioning the child
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_takpit"
    When "pmj_tak" completes "รับแจ้ง เหตุ" with:
      | field            | value                          |
      | child_first_name | ต้นข้าว                         |
      | report_channel   | school                         |
      | concern_type     | ["sexual_abuse"]               |
      | incident_summary | เด็ก เล่า ให้ ครู ฟัง ว่า ถูก ล่วงละเมิด |
    And "pmj_tak" completes "คัดกรอง และ ประเมิน ความ เสี่ยง" with:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | true  |
      | best_interests_considered | true  |
    And "police_tak" completes "รับ แจ้ง ความ และ แยก ตัว เด็ก" with:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:20:00+07:00 |
      | child_separated    | true                      |
    And "health_tak" completes "ตรวจ ร่างกาย และ จิตใจ" with:
      | field                     | value                     |
      | examined_at               | 2026-11-30T10:00:00+07:00 |
      | injuries_found            | false                     |
      | sexual_assault_care_given | true                      |
    Then "police_tak" has an open task "สอบ ปากคำ เด็ก"
    And the task "สอบ ปากคำ เด็ก" is due 12 hours after it was created
    When 13 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "police_tak"
    And "police_tak" has an open task "สอบ ปากคำ เด็ก"
    When 24 hours pass
    Then a level-2 escalation targets "committee_secretariat"
