Feature: P8 adolescent pregnancy
  The school receives the disclosure and keeps the student in education (Adolescent Pregnancy Act
  B.E. 2559 [U]); Public Health gives antenatal care and counselling; the provincial social
  development office plans welfare and follows it up. Suspected abuse, or a student under 15
  (Criminal Code s.277 [U]), is referred to P1 while the care goes on; a student who has left
  education is referred to P5. Referrals carry the reason, not the student's name or age, and a
  supervisor of the social development office approves the closure.

  Scenario: P8 a 16-year-old stays in school with antenatal care and a welfare plan
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P8" started by "school_takpit"
    Then "spm_tak" has an open task "รับเรื่องนักเรียนตั้งครรภ์"
    When "spm_tak" completes "รับเรื่องนักเรียนตั้งครรภ์" with:
      | field              | value           |
      | child_first_name   | พิม              |
      | child_birth_date   | 2010-06-02      |
      | child_school       | school_takpit   |
      | age                | 16              |
      | disclosure_channel | self_disclosure |
      | suspected_abuse    | false           |
      | gestational_weeks  | 10              |
      | referral_basis     | student_consent |
    Then "health_tak" has an open task "ส่งต่อฝากครรภ์และให้คำปรึกษา"
    And "spm_tak" has an open task "จัดให้เรียนต่อเนื่อง"
    And the task "ส่งต่อฝากครรภ์และให้คำปรึกษา" is due 7 days after it was created
    And the task "จัดให้เรียนต่อเนื่อง" is due 7 days after it was created
    When 3 days pass
    And "health_tak" completes "ส่งต่อฝากครรภ์และให้คำปรึกษา" with:
      | field                | value      |
      | first_visit_date     | 2026-12-03 |
      | counselling_provided | true       |
      | pregnancy_plan       | continue   |
      | health_risk          | standard   |
    Then "pmj_tak" has no open task "จัดทำแผนสวัสดิการแม่วัยรุ่น"
    When "spm_tak" completes "จัดให้เรียนต่อเนื่อง" with:
      | field                    | value               |
      | study_arrangement        | flexible_attendance |
      | student_choice_recorded  | true                |
      | expected_return_date     | 2027-08-01          |
      | confidentiality_arranged | true                |
    Then "pmj_tak" has an open task "จัดทำแผนสวัสดิการแม่วัยรุ่น"
    And the task "จัดทำแผนสวัสดิการแม่วัยรุ่น" is due 15 days after it was created
    When "pmj_tak" completes "จัดทำแผนสวัสดิการแม่วัยรุ่น" with:
      | field            | value                                       |
      | plan_date        | 2026-12-10                                  |
      | family_support   | supportive                                  |
      | welfare_services | ["child_support_grant", "parenting_skills"] |
    Then "pmj_tak" has an open task "ติดตามผลแผนสวัสดิการ"
    And the task "ติดตามผลแผนสวัสดิการ" is due 90 days after it was created
    When 60 days pass
    And "pmj_tak" completes "ติดตามผลแผนสวัสดิการ" with:
      | field                     | value      |
      | follow_up_date            | 2027-02-01 |
      | still_in_education        | true       |
      | mother_and_baby_wellbeing | well       |
      | outcome                   | close_case |
    Then "pmj_tak" has an open task "อนุมัติปิดกรณี"
    When "pmj_tak" completes "อนุมัติปิดกรณี" with:
      | closure_reason            | in_education_and_supported                        |
      | closure_summary           | เรียนต่อแบบยืดหยุ่นเวลา ได้เงินอุดหนุนและฝึกทักษะการเลี้ยงดูเด็ก |
      | best_interests_considered | true                                              |
    Then the case is completed

  Scenario: P8 a 14-year-old's pregnancy starts a linked P1 case while health care and schooling go on
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P8" started by "school_padung"
    When "spm_tak" completes "รับเรื่องนักเรียนตั้งครรภ์" with:
      | field              | value               |
      | child_first_name   | น้ำ                  |
      | age                | 14                  |
      | disclosure_channel | teacher_observation |
      | suspected_abuse    | false               |
      | referral_basis     | legal_duty          |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And "health_tak" has an open task "ส่งต่อฝากครรภ์และให้คำปรึกษา"
    And "spm_tak" has an open task "จัดให้เรียนต่อเนื่อง"

  Scenario: P8 late antenatal care escalates to Public Health's supervisors and climbs to the committee secretariat
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P8" started by "school_maesot"
    When "spm_tak" completes "รับเรื่องนักเรียนตั้งครรภ์" with:
      | field            | value           |
      | child_first_name | แก้ว             |
      | age              | 17              |
      | suspected_abuse  | false           |
      | referral_basis   | student_consent |
    And "spm_tak" completes "จัดให้เรียนต่อเนื่อง" with:
      | field                    | value             |
      | study_arrangement        | continue_in_class |
      | student_choice_recorded  | true              |
      | confidentiality_arranged | true              |
    And 6 days pass
    Then "health_tak" has an open task "ส่งต่อฝากครรภ์และให้คำปรึกษา"
    When 2 days pass
    Then a level-1 escalation targets "agency_supervisors" of "health_tak"
    And "health_tak" has an open task "ส่งต่อฝากครรภ์และให้คำปรึกษา"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat" of "health_tak"
    When the supervisors of "health_tak" acknowledge the escalation
    And "health_tak" completes "ส่งต่อฝากครรภ์และให้คำปรึกษา" with:
      | field                | value     |
      | counselling_provided | true      |
      | pregnancy_plan       | undecided |
      | health_risk          | high      |
    Then "pmj_tak" has an open task "จัดทำแผนสวัสดิการแม่วัยรุ่น"
