Feature: P1 suspected abuse or neglect
  A school reports a child who may be abused: the teacher's report is the intake. The social
  development office (the competent official) triages it, separates the child when needed and
  questions the child within 12 hours of taking the child (CPA s.30(2)), while the hospital
  examines the child and the police take the complaint and interview the child under the Criminal
  Procedure Code. The shelter or the office investigates, the school sends its records, the
  multidisciplinary team meets, and the s.33 plan is carried out: consent only where the Act asks
  for it, the Governor's order for a placement with the guardian told of the right to go to court,
  the s.43 court order, a safety protector and the protector's reports, and a supervisor's approval
  before the case closes.

  Scenario: P1 a child goes home under a court order with a safety protector, and a supervisor closes the case
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_takpit"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                                                                                                                                   |
      | child_first_name               | มะลิ                                                                                                                                     |
      | child_last_name                | ใจดี                                                                                                                                     |
      | child_birth_date               | 2011-05-14                                                                                                                              |
      | child_national_id              | "1103700123458"                                                                                                                         |
      | child_language                 | ไทย                                                                                                                                      |
      | child_school                   | school_takpit                                                                                                                           |
      | child_is_student               | true                                                                                                                                    |
      | guardians                      | [{"name": "สมชาย ใจดี", "relation": "step_parent", "alleged_abuser": true}, {"name": "สมศรี ใจดี", "relation": "parent", "alleged_abuser": false}] |
      | report_channel                 | school                                                                                                                                  |
      | reporter_role                  | teacher                                                                                                                                 |
      | reporter_unit                  | school_takpit                                                                                                                           |
      | concern_type                   | ["physical_abuse"]                                                                                                                      |
      | incident_summary               | ครูประจำชั้นพบรอยฟกช้ำที่แขน เด็กบอกว่าถูกพ่อเลี้ยงตีที่บ้าน                                                                                               |
      | alleged_abuser_is_school_staff | false                                                                                                                                   |
      | basic_aid_given                | true                                                                                                                                    |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                       | value |
      | risk_level                  | high  |
      | needs_separation            | true  |
      | offence_suspected           | true  |
      | alleged_abuser_in_household | true  |
      | best_interests_considered   | true  |
    Then "pmj_tak" has an open task "แยกตัวเด็กจากครอบครัว"
    And "police_tak" has an open task "รับคำร้องทุกข์"
    When "pmj_tak" completes "แยกตัวเด็กจากครอบครัว" with:
      | field             | value                     |
      | separated_at      | 2026-11-30T09:00:00+07:00 |
      | separated_by      | competent_official        |
      | guardian_notified | true                      |
    Then the task "ซักถามเด็ก" is due at "2026-11-30T19:00:00+07:00"
    When "health_tak" completes "ตรวจร่างกายและจิตใจ" with:
      | field                       | value                     |
      | examined_at                 | 2026-11-30T10:00:00+07:00 |
      | facility                    | tak_hospital_oscc         |
      | injuries_found              | true                      |
      | forensic_evidence_collected | true                      |
    And "pmj_tak" completes "ซักถามเด็ก" with:
      | field            | value                     |
      | questioned_at    | 2026-11-30T11:00:00+07:00 |
      | questioned_by    | competent_official        |
      | child_cared_for  | true                      |
      | custody_outcome  | reception_home            |
      | custody_ended_at | 2026-11-30T15:00:00+07:00 |
    And "police_tak" completes "รับคำร้องทุกข์" with:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:30:00+07:00 |
      | police_log_number  | 123/2569                  |
      | offence_category   | bodily_harm               |
    And "police_tak" completes "ถามปากคำเด็กโดยสหวิชาชีพ" with:
      | field                | value                                           |
      | interviewed_at       | 2026-11-30T13:00:00+07:00                       |
      | interview_team       | ["psychologist", "prosecutor", "trusted_person"] |
      | child_friendly_place | true                                            |
    And "shelter_tak" completes "รับเด็กเข้าสถานแรกรับ" with:
      | field                    | value                     |
      | admitted_at              | 2026-11-30T15:00:00+07:00 |
      | official_report_received | true                      |
      | experts_consulted        | true                      |
      | guardian_notified        | true                      |
    Then the task "สืบเสาะและพินิจในสถานแรกรับ" is due 168 hours after it was created
    When "shelter_tak" completes "สืบเสาะและพินิจในสถานแรกรับ" with:
      | field                | value                                                       |
      | family_assessment    | มารดาต้องการดูแลเด็ก พ่อเลี้ยงดื่มสุราและทำร้ายเด็กซ้ำ              |
      | home_safe_for_return | true                                                        |
      | recommended_measure  | family_support                                              |
    And "spm_tak" completes "ส่งเอกสารของสถานศึกษา" with:
      | field               | value                                          |
      | records_sent_on     | 2026-12-01                                     |
      | attendance_concern  | true                                           |
      | prior_incidents     | true                                           |
      | school_support_plan | ครูแนะแนวพบเด็กทุกสัปดาห์ และจัดที่เรียนที่ปลอดภัย |
    And "pmj_tak" completes "ประชุมทีมสหวิชาชีพ" with:
      | field                         | value                                                              |
      | conference_date               | 2026-12-03                                                         |
      | agencies_present              | ["pmj_tak", "police_tak", "health_tak", "shelter_tak", "spm_tak"] |
      | social_work_expert_heard      | true                                                               |
      | medical_expert_heard          | true                                                               |
      | conference_recommendation     | family_support                                                     |
      | court_protection_order_needed | true                                                               |
      | child_views                   | อยากกลับไปอยู่กับแม่ ถ้าพ่อเลี้ยงไม่อยู่บ้าน                                 |
      | best_interests_considered     | true                                                               |
    And "pmj_tak" completes "จัดทำแผนการสงเคราะห์" with:
      | field                     | value          |
      | welfare_measure           | family_support |
      | consent                   | not_required   |
      | best_interests_considered | true           |
    Then "provadmin_tak" has no open task "ผู้ว่าราชการจังหวัดสั่งการสงเคราะห์"
    When "pmj_tak" completes "ขอคำสั่งศาลตามมาตรา 43" with:
      | field       | value                                          |
      | applied_on  | 2026-12-04                                     |
      | applicant   | competent_official                             |
      | order_made  | true                                           |
      | order_date  | 2026-12-10                                     |
      | order_terms | ["keep_away", "area_ban", "conduct_conditions"] |
    And "pmj_tak" completes "คืนเด็กสู่ครอบครัว" with:
      | field                   | value                          |
      | reunification           | returned_to_guardian           |
      | returned_on             | 2026-12-11                     |
      | guardian_advised        | true                           |
      | guardian_ignored_advice | false                          |
      | protector_needed        | true                           |
      | child_views             | ดีใจที่ได้กลับบ้าน                    |
    And "provadmin_tak" completes "แต่งตั้งผู้คุ้มครองสวัสดิภาพเด็ก" with:
      | field          | value         |
      | appointed_on   | 2026-12-11    |
      | protector_kind | social_worker |
      | term_months    | 12            |
    Then "pmj_tak" has no open task "รายงานของผู้คุ้มครองสวัสดิภาพเด็ก"
    When 95 days pass
    Then "pmj_tak" has an open task "รายงานของผู้คุ้มครองสวัสดิภาพเด็ก"
    When "pmj_tak" completes "รายงานของผู้คุ้มครองสวัสดิภาพเด็ก" with:
      | field                 | value                                            |
      | report_date           | 2027-03-05                                       |
      | visits_made           | 6                                                |
      | child_condition       | เด็กมาเรียนสม่ำเสมอ มารดาดูแลดี พ่อเลี้ยงปฏิบัติตามคำสั่งศาล |
      | report_to             | ["governor", "competent_official"]               |
      | supervision_continues | true                                             |
    And 95 days pass
    And "pmj_tak" completes "รายงานของผู้คุ้มครองสวัสดิภาพเด็ก" with:
      | field                 | value                                 |
      | report_date           | 2027-06-08                            |
      | visits_made           | 4                                     |
      | child_condition       | ครอบครัวมั่นคง เด็กปลอดภัย ไม่ต้องกำกับดูแลต่อ |
      | supervision_continues | false                                 |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
    When "pmj_tak" completes "อนุมัติปิดกรณี" with:
      | field                     | value                                                      |
      | closure_reason            | child_safe_with_family                                     |
      | closure_summary           | เด็กกลับไปอยู่กับมารดาภายใต้คำสั่งศาล ผู้คุ้มครองสวัสดิภาพรายงานสองรอบ |
      | best_interests_considered | true                                                       |
    Then the case is completed

  Scenario: P1 the 12-hour alarm sounds 12 hours after the child was taken, though the examination is late
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_padung"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                           |
      | child_first_name               | ต้นข้าว                          |
      | child_is_student               | true                            |
      | report_channel                 | school                          |
      | concern_type                   | ["sexual_abuse"]                |
      | incident_summary               | เด็กเล่าให้ครูแนะแนวฟังว่าถูกล่วงละเมิด |
      | alleged_abuser_is_school_staff | false                           |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | true  |
      | offence_suspected         | false |
      | best_interests_considered | true  |
    And 1 hour passes
    # Recorded at 10:00: the child was taken at 09:30, and the 12 hours count from then.
    And "pmj_tak" completes "แยกตัวเด็กจากครอบครัว" with:
      | field             | value                     |
      | separated_at      | 2026-11-30T09:30:00+07:00 |
      | separated_by      | competent_official        |
      | guardian_notified | true                      |
    Then "pmj_tak" has an open task "ซักถามเด็ก"
    And the task "ซักถามเด็ก" is due at "2026-11-30T19:30:00+07:00"
    When 7 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "health_tak"
    And "health_tak" has an open task "ตรวจร่างกายและจิตใจ"
    When 3 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    And no escalation targets "committee_secretariat"
    When 1 hour passes
    Then no escalation targets "committee_secretariat"
    When 1 hour passes
    Then a level-1 escalation targets "committee_secretariat" of "pmj_tak"
    And "pmj_tak" has an open task "ซักถามเด็ก"
    And "health_tak" has an open task "ตรวจร่างกายและจิตใจ"

  Scenario: P1 the guardian refuses a placement; the Governor orders it and the guardian is told of the right to go to court
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_maesot"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                                                                   |
      | child_first_name               | นาน                                                                     |
      | child_birth_date               | 2010-08-02                                                              |
      | child_g_code                   | G456789012345                                                           |
      | child_language                 | พม่า                                                                     |
      | child_school                   | school_maesot                                                           |
      | child_is_student               | true                                                                    |
      | guardians                      | [{"name": "ดอ ทิน", "relation": "employer", "alleged_abuser": false}]    |
      | report_channel                 | school                                                                  |
      | concern_type                   | ["neglect"]                                                             |
      | incident_summary               | เด็กขาดเรียนบ่อย ทำงานในไร่ของนายจ้างจนดึก และกินอาหารไม่เพียงพอ                   |
      | alleged_abuser_is_school_staff | false                                                                   |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                     | value  |
      | risk_level                | medium |
      | needs_separation          | false  |
      | offence_suspected         | false  |
      | best_interests_considered | true   |
    Then "shelter_tak" has no open task "รับเด็กเข้าสถานแรกรับ"
    And the task "สืบเสาะและพินิจเด็กในครอบครัว" is due 7 days after it was created
    When "pmj_tak" completes "สืบเสาะและพินิจเด็กในครอบครัว" with:
      | field                | value                                                |
      | family_assessment    | บิดามารดาอยู่ฝั่งเมียนมา นายจ้างให้เด็กทำงานแทนการเรียน          |
      | home_safe_for_return | false                                                |
      | recommended_measure  | education_rehabilitation                             |
    And "spm_tak" completes "ส่งเอกสารของสถานศึกษา" with:
      | field                | value                                 |
      | records_sent_on      | 2026-12-01                            |
      | attendance_concern   | true                                  |
      | teacher_observations | ขาดเรียน 20 วันในภาคเรียนนี้ และง่วงในชั้นเรียน |
    And "pmj_tak" completes "ประชุมทีมสหวิชาชีพ" with:
      | field                     | value                                                |
      | conference_date           | 2026-12-02                                           |
      | agencies_present          | ["pmj_tak", "shelter_tak", "spm_tak", "health_tak"] |
      | social_work_expert_heard  | true                                                 |
      | medical_expert_heard      | true                                                 |
      | conference_recommendation     | education_rehabilitation                             |
      | court_protection_order_needed | false                                                |
      | child_views               | อยากเรียนต่อ ไม่อยากทำงานในไร่                         |
      | best_interests_considered | true                                                 |
    And "pmj_tak" completes "จัดทำแผนการสงเคราะห์" with:
      | field                     | value                         |
      | welfare_measure           | education_rehabilitation      |
      | consent                   | refused                       |
      | refusal_reason            | นายจ้างต้องการให้เด็กทำงานต่อ      |
      | best_interests_considered | true                          |
    Then "provadmin_tak" has an open task "ผู้ว่าราชการจังหวัดสั่งการสงเคราะห์"
    When "provadmin_tak" completes "ผู้ว่าราชการจังหวัดสั่งการสงเคราะห์" with:
      | field                | value                    |
      | order_number         | 45/2569                  |
      | order_date           | 2026-12-03               |
      | ordered_measure      | education_rehabilitation |
      | placement_duration   | P6M                      |
      | consent_basis        | ordered_without_consent  |
      | experts_report_heard | true                     |
    And "pmj_tak" completes "แจ้งคำสั่งและสิทธินำคดีไปสู่ศาล" with:
      | field                      | value      |
      | notified_on                | 2026-12-04 |
      | notified_guardian_relation | employer   |
      | notice_method              | in_person  |
      | right_to_court_explained   | true       |
      | child_informed             | true       |
    Then "pmj_tak" has an open task "ติดตามการนำคดีไปสู่ศาล"
    And the task "ติดตามการนำคดีไปสู่ศาล" is due 120 days after it was created
    When "pmj_tak" completes "คืนเด็กสู่ครอบครัว" with:
      | field                   | value           |
      | reunification           | remains_in_care |
      | guardian_ignored_advice | false           |
      | protector_needed        | false           |
    And 32 days pass
    And "pmj_tak" completes "เยี่ยมบ้านติดตามผล" with:
      | field                | value                           |
      | visited_on           | 2027-01-05                      |
      | child_safe           | true                            |
      | child_views          | ชอบเรียนช่าง อยากเรียนจนจบ          |
      | further_visit_needed | false                           |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
    When "pmj_tak" completes "อนุมัติปิดกรณี" with:
      | field                     | value                                                       |
      | closure_reason            | in_care_under_order                                         |
      | closure_summary           | เด็กอยู่ในสถานพัฒนาและฟื้นฟูตามคำสั่ง 6 เดือน มีแผนดูแลและเยี่ยมต่อเนื่อง |
      | best_interests_considered | true                                                        |
    # The guardian's 120 days are still running: the case stays open until they are accounted for.
    Then "pmj_tak" has an open task "ติดตามการนำคดีไปสู่ศาล"
    When 90 days pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When "pmj_tak" completes "ติดตามการนำคดีไปสู่ศาล" with:
      | field                  | value |
      | guardian_went_to_court | false |
    Then the case is completed

  Scenario: P1 a teacher is the alleged abuser: the school cannot open the case, the education office's supervisors can
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_umphang"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                                      |
      | child_first_name               | แก้ว                                        |
      | child_school                   | school_umphang                             |
      | child_is_student               | true                                       |
      | report_channel                 | moe_safety_center                          |
      | concern_type                   | ["sexual_abuse"]                           |
      | incident_summary               | เด็กเล่าให้ผู้ปกครองฟังว่าครูในโรงเรียนล่วงละเมิดในห้องเรียน |
      | alleged_abuser_is_school_staff | true                                       |
      | moe_safety_center_ref          | MOESC-2569-00456                           |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | false |
      | offence_suspected         | true  |
      | best_interests_considered | true  |
    And "pmj_tak" completes "สืบเสาะและพินิจเด็กในครอบครัว" with:
      | field                | value          |
      | home_safe_for_return | true           |
      | recommended_measure  | family_support |
    Then "spm_tak" has an open task "แสวงหาข้อเท็จจริงกรณีบุคลากร"
    And "supervisor.spm_tak" finds the task "แสวงหาข้อเท็จจริงกรณีบุคลากร" in their inbox
    And "supervisor.spm_tak" can open the case
    And "worker.school_umphang" cannot open the case
    And "supervisor.school_umphang" cannot open the case
    When "spm_tak" completes "แสวงหาข้อเท็จจริงกรณีบุคลากร" with:
      | field                      | value            |
      | moe_safety_center_ref      | MOESC-2569-00456 |
      | moe_safety_center_deadline | 2026-12-07       |
      | staff_kept_away_from_child | true             |
    Then "pmj_tak" has an open task "ประชุมทีมสหวิชาชีพ"
    And "supervisor.school_umphang" cannot open the case

  Scenario: P1 a school's worker cannot see another school's case
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "school_takpit"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                         |
      | child_first_name               | ต้นกล้า                         |
      | child_school                   | school_takpit                 |
      | child_is_student               | true                          |
      | report_channel                 | school                        |
      | reporter_role                  | teacher                       |
      | reporter_unit                  | school_takpit                 |
      | concern_type                   | ["neglect"]                   |
      | incident_summary               | เด็กมาเรียนโดยไม่ได้กินข้าวเช้าเกือบทุกวัน |
      | alleged_abuser_is_school_staff | false                         |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                     | value  |
      | risk_level                | medium |
      | needs_separation          | false  |
      | offence_suspected         | false  |
      | best_interests_considered | true   |
    And "pmj_tak" completes "สืบเสาะและพินิจเด็กในครอบครัว" with:
      | field                | value          |
      | home_safe_for_return | true           |
      | recommended_measure  | family_support |
    Then "spm_tak" has an open task "ส่งเอกสารของสถานศึกษา"
    And "worker.school_takpit" finds the task "ส่งเอกสารของสถานศึกษา" in their inbox
    And "worker.school_takpit" can open the case
    And "supervisor.spm_tak" can open the case
    And "worker.school_padung" cannot open the case
    And "supervisor.school_padung" cannot open the case

  Scenario: P1 a teacher is the alleged abuser: the education office finds the facts, not the school
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P1" started by "pmj_tak"
    When "pmj_tak" completes "รับแจ้งเหตุ" with:
      | field                          | value                                      |
      | child_first_name               | น้ำฝน                                       |
      | child_school                   | school_umphang                             |
      | child_is_student               | true                                       |
      | report_channel                 | moe_safety_center                          |
      | concern_type                   | ["sexual_abuse"]                           |
      | incident_summary               | ผู้ปกครองแจ้งว่าครูในโรงเรียนล่วงละเมิดเด็กหลังเลิกเรียน |
      | alleged_abuser_is_school_staff | true                                       |
      | moe_safety_center_ref          | MOESC-2569-00123                           |
    And "pmj_tak" completes "คัดกรองและประเมินความเสี่ยง" with:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | false |
      | offence_suspected         | true  |
      | best_interests_considered | true  |
    And "pmj_tak" completes "สืบเสาะและพินิจเด็กในครอบครัว" with:
      | field                | value          |
      | home_safe_for_return | true           |
      | recommended_measure  | family_support |
    Then "spm_tak" has an open task "แสวงหาข้อเท็จจริงกรณีบุคลากร"
    And "spm_tak" has no open task "ส่งเอกสารของสถานศึกษา"
    And the task "แสวงหาข้อเท็จจริงกรณีบุคลากร" is due 7 days after it was created
    When "spm_tak" completes "แสวงหาข้อเท็จจริงกรณีบุคลากร" with:
      | field                            | value            |
      | moe_safety_center_ref            | MOESC-2569-00123 |
      | moe_safety_center_deadline       | 2026-12-07       |
      | staff_kept_away_from_child       | true             |
      | fact_finding_committee_appointed | true             |
      | records_sent_on                  | 2026-12-02       |
    Then "pmj_tak" has an open task "ประชุมทีมสหวิชาชีพ"
