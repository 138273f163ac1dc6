Feature: P5 out of school or chronic absence
  The school (spm_tak) records the absence, contacts the parent and visits the home; a case
  conference decides: back to the same school, a transfer, or non-formal education with the
  Learning Encouragement office (skr_tak). The social development office (pmj_tak) supports
  the family where welfare is needed (CPA ss.32(3), 33(1)). Follow-ups at 30 and 90 days.

  Scenario: P5 A chronically absent student returns to school and is followed up at 30 and 90 days
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_takpit"
    Then "spm_tak" has an open task "บันทึก การ ขาด เรียน"
    When "spm_tak" completes "บันทึก การ ขาด เรียน" with:
      | field              | value                                                             |
      | child_first_name   | ฝน                                                                |
      | child_last_name    | แสงดี                                                             |
      | child_birth_date   | 2012-08-15                                                        |
      | child_school       | school_takpit                                                     |
      | guardians          | [{"name": "นางแสง แสงดี", "relation": "parent", "alleged_abuser": false}] |
      | absence_days       | 18                                                                |
      | dropped_out        | false                                                             |
      | last_attended_date | 2026-11-06                                                        |
    Then "spm_tak" has an open task "ติดต่อ ผู้ปกครอง"
    When "spm_tak" completes "ติดต่อ ผู้ปกครอง" with:
      | contact_made   | true                       |
      | contact_method | phone                      |
      | reason_given   | ช่วย ดูแล น้อง ที่ ป่วย ที่ บ้าน |
    And "spm_tak" completes "เยี่ยม บ้าน นักเรียน" with:
      | visit_date               | 2026-12-02                    |
      | causes                   | ["family_breakdown", "health"] |
      | guardian_supports_return | true                          |
    And "spm_tak" completes "ประชุม วางแผน การ ศึกษา" with:
      | conference_date        | 2026-12-03       |
      | education_plan         | return_to_school |
      | refer_for_welfare      | false            |
      | best_interests_checked | true             |
    Then "spm_tak" has an open task "จัด ที่ เรียน ใน โรงเรียน"
    And "skr_tak" has no open task "รับ เข้า เรียน การ ศึกษา นอก ระบบ"
    And "pmj_tak" has no open task "ช่วยเหลือ สวัสดิการ ครอบครัว"
    When "spm_tak" completes "จัด ที่ เรียน ใน โรงเรียน" with:
      | school_unit      | school_takpit                     |
      | start_date       | 2026-12-07                        |
      | support_measures | ["remedial_classes", "mentoring"] |
    Then "spm_tak" has no open task "ติดตาม ผล ครบ 30 วัน"
    When 31 days pass
    Then "spm_tak" has an open task "ติดตาม ผล ครบ 30 วัน"
    When "spm_tak" completes "ติดตาม ผล ครบ 30 วัน" with:
      | attending       | true |
      | attendance_rate | 92   |
    And 60 days pass
    Then "spm_tak" has an open task "ติดตาม ผล ครบ 90 วัน"
    When "spm_tak" completes "ติดตาม ผล ครบ 90 วัน" with:
      | attending       | true |
      | attendance_rate | 95   |
      | case_closable   | true |
    Then the case is completed

  Scenario: P5 A working drop-out enrols in non-formal education and the family gets welfare support
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_maesot"
    When "spm_tak" completes "บันทึก การ ขาด เรียน" with:
      | child_first_name | หม่อง          |
      | child_g_code     | G123456789012 |
      | child_language   | พม่า           |
      | absence_days     | 60            |
      | dropped_out      | true          |
    And "spm_tak" completes "ติดต่อ ผู้ปกครอง" with:
      | contact_made   | false                |
      | contact_method | via_community_leader |
    And "spm_tak" completes "เยี่ยม บ้าน นักเรียน" with:
      | visit_date   | 2026-12-01                   |
      | causes       | ["child_labour", "poverty"]  |
      | child_wishes | อยาก ทำงาน และ เรียน ไป ด้วย   |
    And "spm_tak" completes "ประชุม วางแผน การ ศึกษา" with:
      | conference_date        | 2026-12-02           |
      | education_plan         | non_formal_education |
      | refer_for_welfare      | true                 |
      | best_interests_checked | true                 |
    Then "skr_tak" has an open task "รับ เข้า เรียน การ ศึกษา นอก ระบบ"
    And "pmj_tak" has an open task "ช่วยเหลือ สวัสดิการ ครอบครัว"
    And "spm_tak" has no open task "จัด ที่ เรียน ใน โรงเรียน"
    When "skr_tak" completes "รับ เข้า เรียน การ ศึกษา นอก ระบบ" with:
      | enrolment_date  | 2026-12-07              |
      | programme       | lower_secondary         |
      | learning_centre | ศกร. อำเภอ แม่สอด        |
    Then "skr_tak" has an open task "จัด แผน การ เรียน รายบุคคล"
    When "skr_tak" completes "จัด แผน การ เรียน รายบุคคล" with:
      | credits_transferred | true                                  |
      | study_mode          | group_meetings                        |
      | learning_plan       | พบ กลุ่ม วัน อาทิตย์ และ เรียน วิชาชีพ ช่าง |
    And "pmj_tak" completes "ช่วยเหลือ สวัสดิการ ครอบครัว" with:
      | welfare_ground | guardian_cannot_care                       |
      | support_types  | ["cash_grant", "guardian_job_referral"]    |
    And 31 days pass
    Then "spm_tak" has an open task "ติดตาม ผล ครบ 30 วัน"
    And "pmj_tak" has no open task "ช่วยเหลือ สวัสดิการ ครอบครัว"

  Scenario: P5 The parent is not contacted within 2 working days
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_padung"
    When "spm_tak" completes "บันทึก การ ขาด เรียน" with:
      | child_first_name | ต่อ   |
      | absence_days     | 15    |
      | dropped_out      | false |
    Then the task "ติดต่อ ผู้ปกครอง" is due 48 hours after it was created
    When 47 hours pass
    Then "spm_tak" has an open task "ติดต่อ ผู้ปกครอง"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "spm_tak"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"
    When "spm_tak" completes "ติดต่อ ผู้ปกครอง" with:
      | contact_made   | true      |
      | contact_method | in_person |
    Then "spm_tak" has an open task "เยี่ยม บ้าน นักเรียน"

  Scenario: P5 Non-formal enrolment is late and escalates to the Learning Encouragement office's supervisors
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_umphang"
    When "spm_tak" completes "บันทึก การ ขาด เรียน" with:
      | child_first_name | นอ   |
      | absence_days     | 40   |
      | dropped_out      | true |
    And "spm_tak" completes "ติดต่อ ผู้ปกครอง" with:
      | contact_made   | true  |
      | contact_method | phone |
    And "spm_tak" completes "เยี่ยม บ้าน นักเรียน" with:
      | visit_date | 2026-11-30                   |
      | causes     | ["migration_or_relocation"] |
    And "spm_tak" completes "ประชุม วางแผน การ ศึกษา" with:
      | conference_date        | 2026-11-30           |
      | education_plan         | non_formal_education |
      | refer_for_welfare      | false                |
      | best_interests_checked | true                 |
    Then "skr_tak" has an open task "รับ เข้า เรียน การ ศึกษา นอก ระบบ"
    When 10 days pass
    Then "skr_tak" has an open task "รับ เข้า เรียน การ ศึกษา นอก ระบบ"
    When 7 days pass
    Then a level-1 escalation targets "agency_supervisors" of "skr_tak"
    When the supervisors of "skr_tak" acknowledge the escalation
    And "skr_tak" completes "รับ เข้า เรียน การ ศึกษา นอก ระบบ" with:
      | enrolment_date | 2026-12-17       |
      | programme      | primary_equivalency |
    Then "skr_tak" has an open task "จัด แผน การ เรียน รายบุคคล"
