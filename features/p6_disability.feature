Feature: P6 student with a disability, referred to the Special Education Centre
  The school screens the student, the Special Education Centre assesses and drafts the IEP with
  the parents, Public Health diagnoses when a physician's diagnosis is missing, the provincial
  social development office arranges the disability card and welfare, the school teaches to the
  IEP, and the centre reviews the IEP within a year (practice [U]). Closing the case is a decision
  about the child (CPA s.22): the centre's head approves it.

  Scenario: P6 a screened student is assessed, diagnosed, given an IEP and a disability card, and reviewed within a year
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P6" started by "school_takpit"
    Then "spm_tak" has an open task "คัดกรองนักเรียนเบื้องต้น"
    When "spm_tak" completes "คัดกรองนักเรียนเบื้องต้น" with:
      | field                  | value                                                                 |
      | child_first_name       | ภูมิ                                                                    |
      | child_last_name        | ใจดี                                                                   |
      | child_birth_date       | 2016-05-14                                                            |
      | child_school           | school_takpit                                                         |
      | screening_source       | teacher_screening                                                     |
      | suspected_difficulties | ["learning", "speech_language"]                                       |
      | parents_informed       | true                                                                  |
      | guardians              | [{"name": "สมใจ ใจดี", "relation": "parent", "alleged_abuser": false} ] |
    Then "specialed_tak" has an open task "ประเมินความต้องการจำเป็นพิเศษ"
    And "spm_tak" has no open task "คัดกรองนักเรียนเบื้องต้น"
    And the task "ประเมินความต้องการจำเป็นพิเศษ" is due 30 days after it was created
    When 7 days pass
    And "specialed_tak" completes "ประเมินความต้องการจำเป็นพิเศษ" with:
      | field                    | value      |
      | assessment_date          | 2026-12-07 |
      | special_education_needed | true       |
      | disability_category      | learning   |
      | needs_medical_diagnosis  | true       |
    Then "health_tak" has an open task "ตรวจวินิจฉัยความพิการ"
    And the task "ตรวจวินิจฉัยความพิการ" is due 30 days after it was created
    When "health_tak" completes "ตรวจวินิจฉัยความพิการ" with:
      | field                         | value              |
      | diagnosis_date                | 2026-12-07         |
      | diagnosed_category            | learning           |
      | disability_certificate_issued | true               |
      | therapy_recommended           | ["speech_therapy"] |
    Then "specialed_tak" has an open task "จัดทำแผน IEP ร่วมกับผู้ปกครอง"
    When "specialed_tak" completes "จัดทำแผน IEP ร่วมกับผู้ปกครอง" with:
      | field                 | value                                        |
      | iep_start_date        | 2026-12-14                                   |
      | parents_participated  | true                                         |
      | education_setting     | inclusive_school                             |
      | services              | ["education_coupon", "assistive_technology"] |
      | needs_disability_card | true                                         |
    Then "pmj_tak" has an open task "ทำบัตรคนพิการและสวัสดิการ"
    And the task "ทำบัตรคนพิการและสวัสดิการ" is due 15 days after it was created
    When "pmj_tak" completes "ทำบัตรคนพิการและสวัสดิการ" with:
      | field            | value                    |
      | card_status      | issued                   |
      | card_issued_date | 2026-12-08               |
      | welfare_services | ["disability_allowance"] |
    Then "spm_tak" has an open task "จัดการเรียนตามแผน IEP"
    When "spm_tak" completes "จัดการเรียนตามแผน IEP" with:
      | field                  | value                     |
      | implementation_started | 2026-12-08                |
      | responsible_teacher    | ครูสมศรี                    |
      | accommodations         | ["extra_time", "seating"] |
    Then "specialed_tak" has an open task "ทบทวนแผน IEP ประจำปี"
    And the task "ทบทวนแผน IEP ประจำปี" is due 365 days after it was created
    When "specialed_tak" completes "ทบทวนแผน IEP ประจำปี" with:
      | field                | value      |
      | review_date          | 2027-11-30 |
      | parents_participated | true       |
      | goals_met            | partly_met |
      | next_step            | revise_iep |
    Then "specialed_tak" has an open task "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง"
    When "specialed_tak" completes "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง" with:
      | closure_reason            | plan_in_place |
      | best_interests_considered | true          |
    Then the case is completed

  Scenario: P6 a late assessment escalates to the centre's supervisors and climbs to the committee secretariat
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P6" started by "school_padung"
    When "spm_tak" completes "คัดกรองนักเรียนเบื้องต้น" with:
      | field                  | value       |
      | child_first_name       | ฟ้า          |
      | suspected_difficulties | ["hearing"] |
      | parents_informed       | true        |
    And 29 days pass
    Then "specialed_tak" has an open task "ประเมินความต้องการจำเป็นพิเศษ"
    When 2 days pass
    Then a level-1 escalation targets "agency_supervisors" of "specialed_tak"
    And "specialed_tak" has an open task "ประเมินความต้องการจำเป็นพิเศษ"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat" of "specialed_tak"
    When the supervisors of "specialed_tak" acknowledge the escalation
    And "specialed_tak" completes "ประเมินความต้องการจำเป็นพิเศษ" with:
      | field                    | value      |
      | assessment_date          | 2027-01-02 |
      | special_education_needed | false      |
      | needs_medical_diagnosis  | false      |
    Then "specialed_tak" has no open task "ประเมินความต้องการจำเป็นพิเศษ"
    And "specialed_tak" has no open task "จัดทำแผน IEP ร่วมกับผู้ปกครอง"
    And "specialed_tak" has an open task "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง"

  Scenario: P6 a student who needs no special education is back in the school's usual care once the centre's head approves
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P6" started by "school_takpit"
    When "spm_tak" completes "คัดกรองนักเรียนเบื้องต้น" with:
      | child_first_name       | เอก               |
      | screening_source       | teacher_screening |
      | suspected_difficulties | ["learning"]      |
      | parents_informed       | true              |
    And "specialed_tak" completes "ประเมินความต้องการจำเป็นพิเศษ" with:
      | assessment_date          | 2026-12-03 |
      | special_education_needed | false      |
      | needs_medical_diagnosis  | false      |
    Then "specialed_tak" has no open task "จัดทำแผน IEP ร่วมกับผู้ปกครอง"
    And "specialed_tak" has an open task "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง"
    When "specialed_tak" completes "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง" with:
      | closure_reason            | no_special_needs |
      | best_interests_considered | true             |
    Then the case is completed
