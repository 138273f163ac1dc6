Feature: P2 OBEC student screening and referral
  The school (spm_tak lane) runs the OBEC student care system under CPA s.63: know the student,
  screen (normal / at risk / problem), promote, prevent and solve with a case conference, and
  refer. The director signs external referrals; a referral starts a linked case of P1, P3, P5
  or P6, and the school follows up the referral in its own case.

  Scenario: P2 Screening finds suspected abuse; the director's referral starts a linked P1 case
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | field            | value                                                              |
      | child_first_name | มะลิ                                                               |
      | child_last_name  | ใจดี                                                               |
      | child_birth_date | 2013-05-04                                                         |
      | child_school     | school_takpit                                                      |
      | concern_source   | teacher_concern                                                    |
      | guardians        | [{"name": "นายสมชาย ใจดี", "relation": "parent", "alleged_abuser": true}] |
    And "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | problem      |
      | abuse_suspected | true         |
      | risk_domains    | ["safety"]   |
    Then "spm_tak" has an open task "ลงนาม ส่งต่อ ภายนอก"
    And "spm_tak" has no open task "ประชุม ปรึกษา รายกรณี"
    When "spm_tak" completes "ลงนาม ส่งต่อ ภายนอก" with:
      | referral_target        | abuse_neglect                         |
      | referral_reason        | พบ รอย ช้ำ ที่ แขน และ เด็ก เล่า ว่า ถูก ตี |
      | guardian_informed      | false                                 |
      | best_interests_checked | true                                  |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้ง เหตุ" for "pmj_tak"
    And "spm_tak" has an open task "ติดตาม ผล การ ส่งต่อ"
    And "spm_tak" has no open task "ลงนาม ส่งต่อ ภายนอก"
    When "spm_tak" completes "ติดตาม ผล การ ส่งต่อ" with:
      | feedback_received | true      |
      | student_status    | improving |
    Then the case is completed

  Scenario: P2 A normal screening ends with promotion in the homeroom
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_padung"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | child_first_name | ต้นข้าว             |
      | concern_source   | semester_screening |
    Then "spm_tak" has an open task "คัดกรอง นักเรียน"
    When "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | normal |
      | sdq_band        | normal |
      | abuse_suspected | false  |
    Then "spm_tak" has an open task "ส่งเสริม และ พัฒนา นักเรียน"
    When "spm_tak" completes "ส่งเสริม และ พัฒนา นักเรียน" with:
      | activities | ["homeroom", "life_skills"] |
    Then the case is completed

  Scenario: P2 A student at risk is counselled and referred inside the school
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_maesot"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | child_first_name | นาวิน            |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | at_risk                |
      | abuse_suspected | false                  |
      | risk_domains    | ["learning", "gaming"] |
    Then "spm_tak" has an open task "ป้องกัน และ แก้ไข ปัญหา"
    When "spm_tak" completes "ป้องกัน และ แก้ไข ปัญหา" with:
      | interventions | ["counselling", "parent_consultation"] |
      | progress      | unchanged                              |
    And "spm_tak" completes "ประชุม ปรึกษา รายกรณี" with:
      | conference_date        | 2026-12-03        |
      | conference_outcome     | internal_referral |
      | best_interests_checked | true              |
    Then "spm_tak" has an open task "ส่งต่อ ภายใน โรงเรียน"
    And "spm_tak" has no open task "ลงนาม ส่งต่อ ภายนอก"
    When "spm_tak" completes "ส่งต่อ ภายใน โรงเรียน" with:
      | referred_to | guidance |
    Then the case is completed

  Scenario: P2 A case conference refers a chronically absent student to P5
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_umphang"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | child_first_name | ซอ              |
      | child_language   | กะเหรี่ยง        |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | problem        |
      | abuse_suspected | false          |
      | risk_domains    | ["attendance"] |
    And "spm_tak" completes "ป้องกัน และ แก้ไข ปัญหา" with:
      | interventions | ["parent_consultation"] |
      | progress      | worse                   |
    And "spm_tak" completes "ประชุม ปรึกษา รายกรณี" with:
      | conference_date        | 2026-12-02        |
      | conference_outcome     | external_referral |
      | best_interests_checked | true              |
    Then "spm_tak" has an open task "ลงนาม ส่งต่อ ภายนอก"
    When "spm_tak" completes "ลงนาม ส่งต่อ ภายนอก" with:
      | referral_target        | out_of_school                  |
      | referral_reason        | ขาด เรียน 20 วัน ใน ภาค เรียน นี้ |
      | best_interests_checked | true                           |
    Then a linked case of protocol "P5" is started
    And the linked case has an open task "บันทึก การ ขาด เรียน" for "spm_tak"
    And "spm_tak" has an open task "ติดตาม ผล การ ส่งต่อ"

  Scenario: P2 A case conference refers a student at risk of misconduct to P3
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | child_first_name | ภูมิ             |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | problem                         |
      | abuse_suspected | false                           |
      | risk_domains    | ["behaviour_emotion", "drugs"] |
    And "spm_tak" completes "ป้องกัน และ แก้ไข ปัญหา" with:
      | interventions | ["counselling", "behaviour_plan"] |
      | progress      | worse                             |
    And "spm_tak" completes "ประชุม ปรึกษา รายกรณี" with:
      | conference_date        | 2026-12-02        |
      | conference_outcome     | external_referral |
      | best_interests_checked | true              |
    And "spm_tak" completes "ลงนาม ส่งต่อ ภายนอก" with:
      | referral_target        | at_risk_behaviour                 |
      | referral_reason        | มั่วสุม นอก โรงเรียน และ สงสัย ใช้ ยาเสพติด |
      | best_interests_checked | true                              |
    Then a linked case of protocol "P3" is started
    And the linked case has an open task "สอบถาม ข้อเท็จจริง จาก เด็ก" for "police_tak"

  Scenario: P2 The director does not sign a suspected-abuse referral within 24 hours
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จัก นักเรียน รายบุคคล" with:
      | child_first_name | มะลิ             |
      | concern_source   | teacher_concern |
    And "spm_tak" completes "คัดกรอง นักเรียน" with:
      | screen_result   | problem |
      | abuse_suspected | true    |
    Then the task "ลงนาม ส่งต่อ ภายนอก" is due 24 hours after it was created
    When 23 hours pass
    Then "spm_tak" has an open task "ลงนาม ส่งต่อ ภายนอก"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "spm_tak"
    And "spm_tak" has an open task "ลงนาม ส่งต่อ ภายนอก"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"
    When "spm_tak" completes "ลงนาม ส่งต่อ ภายนอก" with:
      | referral_target        | abuse_neglect   |
      | referral_reason        | สงสัย ถูก ทำร้าย |
      | best_interests_checked | true            |
    Then a linked case of protocol "P1" is started
