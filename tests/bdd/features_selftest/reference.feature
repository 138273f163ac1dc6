Feature: The step library drives the reference protocol
  The library's own check, independent of the Tak protocols: the reference protocol (key
  "reference", named "REF" here) and a referral pair (SEND refers the case on to RECV).

  Scenario: A severe report goes to the social development office and is closed there
    Given the clock reads "2026-11-30T09:00:00+07:00"
    And a case of protocol "REF" started by "school_takpit"
    Then "spm_tak" has an open task "รับแจ้งเหตุ"
    When "spm_tak" completes "รับแจ้งเหตุ" with:
      | field    | value |
      | severity | high  |
    Then "pmj_tak" has an open task "ประเมินสภาพปัญหา"
    And "spm_tak" has no open task "รับแจ้งเหตุ"
    And the task "ประเมินสภาพปัญหา" is due 24 hours after it was created
    And the task "ประเมินสภาพปัญหา" is due at "2026-12-01T09:00:00+07:00"
    When 30 minutes pass
    And "pmj_tak" completes "ประเมินสภาพปัญหา" with:
      | plan | "เยี่ยมบ้านภายใน 7 วัน" |
    Then the case is completed

  Scenario: A late assessment escalates to the agency's supervisors, then climbs to the secretariat
    Given a case of protocol "REF" started by "spm_tak"
    When "spm_tak" completes "รับแจ้งเหตุ" with:
      | severity | high |
    And 23 hours pass
    Then "pmj_tak" has an open task "ประเมินสภาพปัญหา"
    And no escalation targets "agency_supervisors"
    And "spm_tak" has no open task "ติดตามงานที่ล่าช้า"
    When 2 hours pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    And "spm_tak" has an open task "ติดตามงานที่ล่าช้า"
    And "pmj_tak" has an open task "ประเมินสภาพปัญหา"
    And no escalation targets "committee_secretariat"
    When 1 day passes
    Then a level-2 escalation targets "committee_secretariat"
    And a level-2 escalation targets "committee_secretariat" of "pmj_tak"
    And a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    And 3 days pass
    Then "pmj_tak" has an open task "ประเมินสภาพปัญหา"

  Scenario: A referral starts a linked case whose task can be worked
    Given a case of protocol "SEND" started by "school_padung"
    When "spm_tak" completes "ตัดสินใจส่งต่อ" with:
      | reason | ขาดเรียนบ่อย |
    Then the case is completed
    And a linked case of protocol "RECV" is started
    And the linked case has an open task "รับเรื่องส่งต่อ" for "pmj_tak"
    # No step names the linked case when completing: a task open only there is the one meant.
    When "pmj_tak" completes "รับเรื่องส่งต่อ"
