Feature: A referral records its legal basis and carries no copy of the child's identity
  Every message that leaves a case discloses the child's data to another case, often another
  agency's. The throwing element states the PDPA basis (legal duty, public task, vital interest or
  consent, ss.24 and 26); the engine puts it on the case link and in the audit event, with who
  consented where the basis is consent. The referred case is linked to the child's record; its
  data holds the reason the protocol sends, never the child's names or age.

  Scenario: A school's abuse referral rests on legal duty and its payload holds no names
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_takpit"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | field            | value                                                                     |
      | child_first_name | มะลิ                                                                       |
      | child_last_name  | ใจดี                                                                       |
      | child_birth_date | 2013-05-04                                                                |
      | child_school     | school_takpit                                                             |
      | concern_source   | teacher_concern                                                           |
      | guardians        | [{"name": "นายสมชาย ใจดี", "relation": "step_parent", "alleged_abuser": true}] |
    And "spm_tak" completes "คัดกรองนักเรียน" with:
      | screen_result   | problem    |
      | abuse_suspected | true       |
      | risk_domains    | ["safety"] |
    And "spm_tak" completes "ลงนามส่งต่อภายนอก" with:
      | referral_target           | abuse_neglect                |
      | referral_reason           | พบรอยช้ำที่แขน เด็กเล่าว่าถูกตีที่บ้าน |
      | guardian_informed         | false                        |
      | best_interests_considered | true                         |
    Then a linked case of protocol "P1" is started
    And the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
    And the referral to the linked case records the legal basis "legal_duty"
    And the linked case holds no name or age of the child

  Scenario: A pregnant student's referral rests on consent, and the link records who consented
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "P2" started by "school_maesot"
    When "spm_tak" completes "รู้จักนักเรียนรายบุคคล" with:
      | child_first_name | ดาว             |
      | child_last_name  | ประกาย          |
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
    And the referral to the linked case records the legal basis "consent"
    And the referral records that "นักเรียนและมารดา" consented
    And the linked case holds no name or age of the child
