Feature: P5 out of school or chronic absence
  The school (spm_tak) records the absence, contacts the parent and visits the home; a case
  conference hears the child (CPA s.22) and decides: back to the same school, a transfer, or
  non-formal education with the Learning Encouragement office (skr_tak), and refers the causes
  it found onwards (child labour to P1, pregnancy to P8 and disability to P6 with consent, no
  documents to P7). The social development office (pmj_tak) supports the family where welfare
  is needed (CPA ss.32(3), 33(1)). Follow-ups at 30 and 90 days; the school director approves
  the closure.

  Scenario: P5 A chronically absent student returns to school and is followed up at 30 and 90 days
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_takpit"
    Then "spm_tak" has an open task "บันทึกการขาดเรียน"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | field              | value                                                                   |
      | child_first_name   | ฝน                                                                      |
      | child_last_name    | แสงดี                                                                    |
      | child_birth_date   | 2012-08-15                                                              |
      | child_school       | school_takpit                                                           |
      | guardians          | [{"name": "นางแสง แสงดี", "relation": "parent", "alleged_abuser": false}] |
      | absence_days       | 18                                                                      |
      | dropped_out        | false                                                                   |
      | last_attended_date | 2026-11-06                                                              |
    Then "spm_tak" has an open task "ติดต่อผู้ปกครอง"
    When "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | true              |
      | contact_method | phone             |
      | reason_given   | ช่วยดูแลน้องที่ป่วยที่บ้าน |
    And "spm_tak" completes "เยี่ยมบ้านนักเรียน" with:
      | visit_date               | 2026-12-02                     |
      | causes                   | ["family_breakdown", "health"] |
      | guardian_supports_return | true                           |
    And "spm_tak" completes "ประชุมวางแผนการศึกษา" with:
      | conference_date        | 2026-12-03       |
      | education_plan         | return_to_school |
      | refer_for_welfare      | false            |
      | refer_on                  | []                       |
      | child_views               | อยากกลับไปเรียนกับเพื่อน |
      | best_interests_considered | true                     |
    Then "spm_tak" has an open task "จัดที่เรียนในโรงเรียน"
    And "skr_tak" has no open task "รับเข้าเรียนการศึกษานอกระบบ"
    And "pmj_tak" has no open task "ช่วยเหลือสวัสดิการครอบครัว"
    When "spm_tak" completes "จัดที่เรียนในโรงเรียน" with:
      | school_unit      | school_takpit                     |
      | start_date       | 2026-12-07                        |
      | support_measures | ["remedial_classes", "mentoring"] |
    Then "spm_tak" has no open task "ติดตามผลครบ 30 วัน"
    When 31 days pass
    Then "spm_tak" has an open task "ติดตามผลครบ 30 วัน"
    When "spm_tak" completes "ติดตามผลครบ 30 วัน" with:
      | attending       | true |
      | attendance_rate | 92   |
    And 60 days pass
    Then "spm_tak" has an open task "ติดตามผลครบ 90 วัน"
    When "spm_tak" completes "ติดตามผลครบ 90 วัน" with:
      | attending       | true |
      | attendance_rate | 95   |
      | case_closable   | true |
    Then "spm_tak" has an open task "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง"
    When "spm_tak" completes "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง" with:
      | closure_reason            | attending_school |
      | best_interests_considered | true             |
    Then the case is completed

  Scenario: P5 A working drop-out enrols in non-formal education and the family gets welfare support
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_maesot"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | child_first_name | หม่อง          |
      | child_g_code     | G123456789012 |
      | child_language   | พม่า           |
      | absence_days     | 60            |
      | dropped_out      | true          |
    And "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | false                |
      | contact_method | via_community_leader |
    And "spm_tak" completes "เยี่ยมบ้านนักเรียน" with:
      | visit_date   | 2026-12-01                  |
      | causes       | ["child_labour", "poverty"] |
      | child_wishes | อยากทำงานและเรียนไปด้วย       |
    And "spm_tak" completes "ประชุมวางแผนการศึกษา" with:
      | conference_date        | 2026-12-02           |
      | education_plan         | non_formal_education |
      | refer_for_welfare      | true                 |
      | refer_on                  | []   |
      | best_interests_considered | true |
    Then "skr_tak" has an open task "รับเข้าเรียนการศึกษานอกระบบ"
    And "pmj_tak" has an open task "ช่วยเหลือสวัสดิการครอบครัว"
    And "spm_tak" has no open task "จัดที่เรียนในโรงเรียน"
    When "skr_tak" completes "รับเข้าเรียนการศึกษานอกระบบ" with:
      | enrolment_date  | 2026-12-07      |
      | programme       | lower_secondary |
      | learning_centre | ศกร. อำเภอแม่สอด |
    Then "skr_tak" has an open task "จัดแผนการเรียนรายบุคคล"
    When "skr_tak" completes "จัดแผนการเรียนรายบุคคล" with:
      | credits_transferred | true                        |
      | study_mode          | group_meetings              |
      | learning_plan       | พบกลุ่มวันอาทิตย์และเรียนวิชาชีพช่าง |
    And "pmj_tak" completes "ช่วยเหลือสวัสดิการครอบครัว" with:
      | welfare_ground | guardian_cannot_care                    |
      | support_types  | ["cash_grant", "guardian_job_referral"] |
    And 31 days pass
    Then "spm_tak" has an open task "ติดตามผลครบ 30 วัน"
    And "pmj_tak" has no open task "ช่วยเหลือสวัสดิการครอบครัว"

  Scenario: P5 The parent is not contacted within 2 working days
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_padung"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | child_first_name | ต่อ    |
      | absence_days     | 15    |
      | dropped_out      | false |
    Then the task "ติดต่อผู้ปกครอง" is due 48 hours after it was created
    When 47 hours pass
    Then "spm_tak" has an open task "ติดต่อผู้ปกครอง"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "spm_tak"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"
    When "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | true      |
      | contact_method | in_person |
    Then "spm_tak" has an open task "เยี่ยมบ้านนักเรียน"

  Scenario: P5 Non-formal enrolment is late and escalates to the Learning Encouragement office's supervisors
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_umphang"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | child_first_name | นอ   |
      | absence_days     | 40   |
      | dropped_out      | true |
    And "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | true  |
      | contact_method | phone |
    And "spm_tak" completes "เยี่ยมบ้านนักเรียน" with:
      | visit_date | 2026-11-30                  |
      | causes     | ["migration_or_relocation"] |
    And "spm_tak" completes "ประชุมวางแผนการศึกษา" with:
      | conference_date        | 2026-11-30           |
      | education_plan         | non_formal_education |
      | refer_for_welfare      | false                |
      | refer_on                  | []   |
      | best_interests_considered | true |
    Then "skr_tak" has an open task "รับเข้าเรียนการศึกษานอกระบบ"
    When 10 days pass
    Then "skr_tak" has an open task "รับเข้าเรียนการศึกษานอกระบบ"
    When 7 days pass
    Then a level-1 escalation targets "agency_supervisors" of "skr_tak"
    When the supervisors of "skr_tak" acknowledge the escalation
    And "skr_tak" completes "รับเข้าเรียนการศึกษานอกระบบ" with:
      | enrolment_date | 2026-12-17          |
      | programme      | primary_equivalency |
    Then "skr_tak" has an open task "จัดแผนการเรียนรายบุคคล"

  Scenario: P5 The case conference refers child labour to P1 and a missing birth record to P7
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_maesot"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | child_first_name | จ่อ   |
      | absence_days     | 30   |
      | dropped_out      | true |
    And "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | true      |
      | contact_method | in_person |
    And "spm_tak" completes "เยี่ยมบ้านนักเรียน" with:
      | visit_date | 2026-12-01                       |
      | causes     | ["child_labour", "no_documents"] |
    And "spm_tak" completes "ประชุมวางแผนการศึกษา" with:
      | conference_date           | 2026-12-02                       |
      | education_plan            | return_to_school                 |
      | refer_for_welfare         | false                            |
      | refer_on                  | ["child_labour", "no_documents"] |
      | child_views               | ไม่อยากไปทำงานที่ไร่อีก               |
      | best_interests_considered | true                             |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And a linked case of protocol "P7" is started
    And the linked case has an open task "รับเด็กและบันทึกตัวตน" for "spm_tak"
    And "spm_tak" has an open task "จัดที่เรียนในโรงเรียน"

  Scenario: P5 A pregnancy is referred to P8 only with the consent recorded
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P5" started by "school_takpit"
    When "spm_tak" completes "บันทึกการขาดเรียน" with:
      | child_first_name | ดาว   |
      | absence_days     | 25   |
      | dropped_out      | true |
    And "spm_tak" completes "ติดต่อผู้ปกครอง" with:
      | contact_made   | true  |
      | contact_method | phone |
    And "spm_tak" completes "เยี่ยมบ้านนักเรียน" with:
      | visit_date | 2026-12-01    |
      | causes     | ["pregnancy"] |
    Then "spm_tak" cannot complete "ประชุมวางแผนการศึกษา" with:
      | conference_date           | 2026-12-02           |
      | education_plan            | non_formal_education |
      | refer_for_welfare         | false                |
      | refer_on                  | ["pregnancy"]        |
      | best_interests_considered | true                 |
    When "spm_tak" completes "ประชุมวางแผนการศึกษา" with:
      | conference_date           | 2026-12-02                       |
      | education_plan            | non_formal_education             |
      | refer_for_welfare         | false                            |
      | refer_on                  | ["pregnancy"]                    |
      | consent_given_by          | นักเรียนเอง ยินยอมต่อหน้าครูแนะแนว |
      | best_interests_considered | true                             |
    Then a linked case of protocol "P8" is started
    And the linked case has an open task "รับเรื่องนักเรียนตั้งครรภ์" for "spm_tak"
    And "skr_tak" has an open task "รับเข้าเรียนการศึกษานอกระบบ"
