Feature: P2 OBEC student screening and referral
  The school (spm_tak lane) runs the OBEC student care system under CPA s.63: know the student,
  screen (normal / at risk / problem), promote, prevent and solve with a case conference, and
  refer. The director signs external referrals; a referral starts a linked case of P1, P3, P5,
  P6, P7 or P8, and the school follows up the referral in its own case. The director approves the
  closure of every student's case.

  Scenario: P2 Screening finds suspected abuse; the director's referral starts a linked P1 case
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | field            | value                                                                    |
      | child_first_name | มะลิ                                                                      |
      | child_last_name  | ใจดี                                                                      |
      | child_birth_date | 2013-05-04                                                               |
      | child_school     | school_takpit                                                            |
      | concern_source   | teacher_concern                                                          |
      | guardians        | [{"name": "นายสมชาย ใจดี", "relation": "parent", "alleged_abuser": true}] |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem    |
      | abuse_suspected | true       |
      | risk_domains    | ["safety"] |
    Then "spm_tak" has an open task "ลงนามส่งต่อภายนอก"
    And "spm_tak" has no open task "ประชุมปรึกษารายกรณี"
    When "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | abuse_neglect             |
      | referral_reason           | พบรอยช้ำที่แขนและเด็กเล่าว่าถูกตี |
      | guardian_informed         | false                     |
      | best_interests_considered | true                      |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And "spm_tak" has an open task "ติดตามผลการส่งต่อ"
    And "spm_tak" has no open task "ลงนามส่งต่อภายนอก"
    When "spm_tak" completes "ติดตามผลการส่งต่อ" with:
      | feedback_received | true      |
      | student_status    | improving |
    Then "spm_tak" has an open task "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง"
    When "spm_tak" completes "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง" with:
      | closure_reason            | referred_out |
      | best_interests_considered | true         |
    Then the case is completed

  Scenario: P2 A normal screening ends with promotion in the homeroom
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_padung"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ต้นข้าว              |
      | concern_source   | semester_screening |
    Then "spm_tak" has an open task "คัดกรองนักเรียน"
    When "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | normal |
      | sdq_band        | normal |
      | abuse_suspected | false  |
    Then "spm_tak" has an open task "ส่งเสริมและพัฒนานักเรียน"
    When "spm_tak" completes "ส่งเสริมและพัฒนานักเรียน" with:
      | activities | ["homeroom", "life_skills"] |
    Then "spm_tak" has an open task "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง"
    When "spm_tak" completes "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง" with:
      | closure_reason            | normal_group |
      | best_interests_considered | true         |
    Then the case is completed

  Scenario: P2 A student at risk is counselled and referred inside the school
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_maesot"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | นาวิน            |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | at_risk                |
      | abuse_suspected | false                  |
      | risk_domains    | ["learning", "gaming"] |
    Then "spm_tak" has an open task "ป้องกันและแก้ไขปัญหา"
    When "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["counselling", "parent_consultation"] |
      | progress      | unchanged                              |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-03        |
      | conference_outcome        | internal_referral |
      | best_interests_considered | true              |
    Then "spm_tak" has an open task "ส่งต่อภายในโรงเรียน"
    And "spm_tak" has no open task "ลงนามส่งต่อภายนอก"
    When "spm_tak" completes "ส่งต่อภายในโรงเรียน" with:
      | referred_to | guidance |
    Then "spm_tak" has an open task "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง"
    When "spm_tak" completes "ผู้บริหารโรงเรียนอนุมัติปิดเรื่อง" with:
      | closure_reason            | helped_internally |
      | best_interests_considered | true              |
    Then the case is completed

  Scenario: P2 A case conference refers a chronically absent student to P5
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_umphang"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ซอ              |
      | child_language   | กะเหรี่ยง         |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem        |
      | abuse_suspected | false          |
      | risk_domains    | ["attendance"] |
    And "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["parent_consultation"] |
      | progress      | worse                   |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-02        |
      | conference_outcome        | external_referral |
      | best_interests_considered | true              |
    Then "spm_tak" has an open task "ลงนามส่งต่อภายนอก"
    When "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | out_of_school           |
      | referral_reason           | ขาดเรียน 20 วันในภาคเรียนนี้ |
      | best_interests_considered | true                    |
    Then a linked case of protocol "P5" is started
    And the linked case has an open task "บันทึกการขาดเรียน" for "spm_tak"
    And "spm_tak" has an open task "ติดตามผลการส่งต่อ"

  Scenario: P2 A case conference refers a student at risk of misconduct to P3
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ภูมิ              |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem                        |
      | abuse_suspected | false                          |
      | risk_domains    | ["behaviour_emotion", "drugs"] |
    And "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["counselling", "behaviour_plan"] |
      | progress      | worse                             |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-02        |
      | conference_outcome        | external_referral |
      | best_interests_considered | true              |
    And "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | at_risk_behaviour              |
      | referral_reason           | มั่วสุมนอกโรงเรียนและสงสัยใช้ยาเสพติด |
      | best_interests_considered | true                           |
    Then a linked case of protocol "P3" is started
    And the linked case has an open task "รับเรื่องเด็กที่เสี่ยงต่อการกระทำผิด" for "pmj_tak"

  Scenario: P2 The director does not sign a suspected-abuse referral within 24 hours
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | มะลิ             |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem |
      | abuse_suspected | true    |
    Then the task "ลงนามส่งต่อภายนอก" is due 24 hours after it was created
    When 23 hours pass
    Then "spm_tak" has an open task "ลงนามส่งต่อภายนอก"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "spm_tak"
    And "spm_tak" has an open task "ลงนามส่งต่อภายนอก"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"
    When "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | abuse_neglect |
      | referral_reason           | สงสัยถูกทำร้าย   |
      | best_interests_considered | true          |
    Then a linked case of protocol "P1" is started

  Scenario: P2 A pregnant student is referred to P8 with her consent, an undocumented one to P7
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_maesot"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ดาว             |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem                        |
      | abuse_suspected | false                          |
      | risk_domains    | ["health", "sexual_behaviour"] |
    And "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["counselling"] |
      | progress      | unchanged       |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-02         |
      | conference_outcome        | external_referral  |
      | child_views               | อยากเรียนต่อจนจบ ม.6 |
      | best_interests_considered | true               |
    And "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | pregnancy                           |
      | referral_reason           | ตั้งครรภ์ประมาณ 12 สัปดาห์ ยังไม่ได้ฝากครรภ์ |
      | consent_given_by          | นักเรียนและมารดา                      |
      | best_interests_considered | true                                |
    Then a linked case of protocol "P8" is started
    And the linked case has an open task "รับเรื่องนักเรียนตั้งครรภ์" for "spm_tak"

  Scenario: P2 A student without a civil registration is referred to P7
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_umphang"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ซอ                 |
      | child_language   | กะเหรี่ยง            |
      | concern_source   | semester_screening |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | at_risk            |
      | abuse_suspected | false              |
      | risk_domains    | ["family_economy"] |
    And "spm_tak" completes "ป้องกันและแก้ไขปัญหา" with:
      | interventions | ["parent_consultation"] |
      | progress      | unchanged               |
    And "spm_tak" completes "ประชุมปรึกษารายกรณี" with:
      | conference_date           | 2026-12-02        |
      | conference_outcome        | external_referral |
      | best_interests_considered | true              |
    And "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | no_documents                      |
      | referral_reason           | ไม่มีเลขประจำตัว 13 หลักและยังไม่มีรหัส G |
      | best_interests_considered | true                              |
    Then a linked case of protocol "P7" is started
    And the linked case has an open task "รับเด็กและบันทึกตัวตน" for "spm_tak"
