Feature: Re-opening a closed case
  A case closes only when its supervisor approves the closure. When something new happens to the
  child afterwards, a supervisor of an agency that worked the case re-opens it, with a reason:
  the closed case stays as it was approved, and a new case of the same protocol starts for the
  same child, linked to its history. A case is re-opened once; the new case carries it on.

  Scenario: The school re-opens a student's closed case when new signs appear
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_padung"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ต้นข้าว              |
      | child_last_name  | ใจงาม              |
      | concern_source   | semester_screening |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | normal |
      | sdq_band        | normal |
      | abuse_suspected | false  |
    And "spm_tak" completes "ส่งเสริมและพัฒนานักเรียน" with:
      | activities | ["homeroom", "life_skills"] |
    And "spm_tak" completes "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง" with:
      | closure_reason            | normal_group |
      | best_interests_considered | true         |
    Then the case is completed
    When 14 days pass
    And the supervisors of "spm_tak" re-open the case because "ครูประจำชั้นพบรอยช้ำใหม่และนักเรียนไม่ยอมกลับบ้าน"
    Then the case is re-opened from the closed case
    And "spm_tak" has an open task "รู้จักนักเรียนรายบุคคล"
    And the supervisors of "spm_tak" cannot re-open the closed case again
