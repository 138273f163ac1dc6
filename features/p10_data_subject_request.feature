Feature: P10 data-subject request
  A request to use the rights the PDPA gives the child (ss.30-36): a copy of the child's data,
  rectification, restriction, erasure, objection. The network's data-protection desk (the
  committee secretariat's supervisors) records when it arrived, decides whether the law lets it
  refuse, carries it out with the engine's tools and answers the requester, all within 30 days
  of receipt (s.30 para. 3 [U]); past them the committee secretariat is told at once.

  Scenario: P10 a parent asks for a copy of the child's data and is answered within the 30 days
    Given the clock reads "2026-12-01T09:00:00+07:00"
    And a case of protocol "P10" started by "pmj_tak"
    When "pmj_tak" completes "รับคำขอใช้สิทธิของเจ้าของข้อมูล" with:
      | field              | value                                   |
      | child_first_name   | มะลิ                                     |
      | child_last_name    | ใจดี                                     |
      | requester_relation | parental_power                          |
      | request_kinds      | ["access"]                              |
      | received_at        | 2026-11-28T10:00:00+07:00               |
      | identity_verified  | true                                    |
      | request_summary    | มารดาขอสำเนาข้อมูลของบุตรที่หน่วยงานเก็บรักษา |
    Then "pmj_tak" has an open task "พิจารณาคำขอและข้อยกเว้น"
    When "pmj_tak" completes "พิจารณาคำขอและข้อยกเว้น" with:
      | field                     | value |
      | decision                  | grant |
      | best_interests_considered | true  |
    # The 30 days count from the request's receipt on 28 November; the warning comes at 20.
    Then the task "ดำเนินการตามคำขอ" is due at "2026-12-18T10:00:00+07:00"
    When "pmj_tak" completes "ดำเนินการตามคำขอ" with:
      | field         | value          |
      | actions_taken | ["copy_given"] |
      | done_on       | 2026-12-03     |
      | cases_covered | 2              |
    And "pmj_tak" completes "แจ้งผลแก่ผู้ยื่นคำขอ" with:
      | field       | value      |
      | answered_on | 2026-12-04 |
      | channel     | in_person  |
    Then the case is completed

  Scenario: P10 a restriction not carried out within 30 days of the request goes to the committee secretariat
    Given the clock reads "2026-12-01T09:00:00+07:00"
    And a case of protocol "P10" started by "pmj_tak"
    When "pmj_tak" completes "รับคำขอใช้สิทธิของเจ้าของข้อมูล" with:
      | field              | value                     |
      | child_first_name   | ฝน                        |
      | requester_relation | child                     |
      | request_kinds      | ["restriction"]           |
      | received_at        | 2026-12-01T08:00:00+07:00 |
      | identity_verified  | true                      |
    And "pmj_tak" completes "พิจารณาคำขอและข้อยกเว้น" with:
      | field                     | value |
      | decision                  | grant |
      | best_interests_considered | true  |
    And 20 days pass
    Then a level-1 escalation targets "agency_supervisors" of "pmj_tak"
    When the supervisors of "pmj_tak" acknowledge the escalation
    Then no escalation targets "committee_secretariat"
    When 10 days pass
    Then a level-1 escalation targets "committee_secretariat" of "pmj_tak"
    And "pmj_tak" has an open task "ดำเนินการตามคำขอ"
