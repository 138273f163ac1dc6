# language: th
โครงหลัก: P4 เด็ก ที่ ถูก กล่าวหา ว่า กระทำ ความผิด
  เด็ก อายุ ต่ำ กว่า 12 ปี ไม่ ต้อง รับ โทษ ทาง อาญา ตำรวจ ส่ง ต่อ ไป โพรโทคอล คุ้มครอง เด็ก (P1)
  เด็ก อายุ 12 ปี ขึ้นไป ต้อง ส่ง ตัว ให้ ศาล ตรวจสอบ การ จับ ภายใน 24 ชั่วโมง

  เหตุการณ์: P4 เด็ก อายุ 11 ปี ถูก ส่ง ต่อ ไป ดูแล ตาม พ.ร.บ. คุ้มครอง เด็ก
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P4" ที่เริ่มโดย "police_tak"
    เมื่อ "police_tak" ทำงาน "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                       | value                                                     |
      | child_first_name            | ฝน                                                        |
      | child_birth_date            | 2015-06-01                                                |
      | guardians                   | [{"name": "มาลี แสงทอง", "relation": "parent", "alleged_abuser": false}] |
      | age                         | 11                                                        |
      | custody_type                | summons                                                   |
      | arrested_at                 | 2026-11-30T08:30:00+07:00                                 |
      | offence_category            | property                                                  |
      | parents_notified            | true                                                      |
      | observation_centre_notified | true                                                      |
    ดังนั้น มีกรณีเชื่อมโยงตามโพรโทคอล "P1" เริ่มขึ้น
    และ กรณีเชื่อมโยงมีงานค้าง "รับแจ้ง เหตุ" ของ "pmj_tak"
    และ กรณีปิดแล้ว
    และ "police_tak" ไม่มีงานค้าง "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ"

  เหตุการณ์: P4 ตำรวจ ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ ล่าช้า
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P4" ที่เริ่มโดย "police_tak"
    เมื่อ "police_tak" ทำงาน "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                       | value                     |
      | child_first_name            | ดิน                        |
      | age                         | 17                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:50:00+07:00 |
      | offence_category            | traffic                   |
      | parents_notified            | true                      |
      | observation_centre_notified | false                     |
    ดังนั้น งาน "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" ครบกำหนด 24 ชั่วโมงหลังสร้าง
    เมื่อ เวลาผ่านไป 25 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "police_tak"
    เมื่อ เวลาผ่านไป 24 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat"

  เหตุการณ์: P4 เด็ก อายุ 15 ปี ได้ มาตรการ พิเศษ แทน การ ดำเนินคดี โดย ไม่ ต้อง บำบัด ยาเสพติด
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P4" ที่เริ่มโดย "police_tak"
    เมื่อ "police_tak" ทำงาน "บันทึก การ จับ และ แจ้ง ผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                       | value                     |
      | child_first_name            | ลม                        |
      | child_school                | school_padung             |
      | age                         | 15                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:20:00+07:00 |
      | offence_category            | property                  |
      | parents_notified            | true                      |
      | observation_centre_notified | true                      |
    และ "police_tak" ทำงาน "ส่ง ตัว เด็ก ให้ ศาล ตรวจสอบ การ จับ" เสร็จ ด้วยข้อมูล:
      | field               | value                     |
      | brought_to_court_at | 2026-11-30T13:00:00+07:00 |
      | court_order         | release_to_guardian       |
    และ "djop_tak" ทำงาน "สืบเสาะ ข้อเท็จจริง เกี่ยวกับ เด็ก และ ครอบครัว" เสร็จ ด้วยข้อมูล:
      | field                   | value      |
      | report_date             | 2026-12-04 |
      | substance_use_indicated | false      |
      | in_school               | true       |
      | diversion_recommended   | true       |
    และ "police_tak" ทำงาน "สอบสวน และ ส่ง สำนวน ให้ พนักงานอัยการ" เสร็จ ด้วยข้อมูล:
      | field                  | value         |
      | file_sent_on           | 2026-12-08    |
      | interview_team_present | true          |
      | police_opinion         | not_prosecute |
    และ "djop_tak" ทำงาน "จัดทำ แผน แก้ไข บำบัด ฟื้นฟู" เสร็จ ด้วยข้อมูล:
      | field                     | value                         |
      | route                     | pre_trial_diversion           |
      | plan_summary              | ขอโทษ ผู้ เสียหาย ชดใช้ ค่า เสียหาย และ ทำ งาน บริการ สังคม |
      | needs_drug_treatment      | false                         |
      | best_interests_considered | true                          |
    ดังนั้น "health_tak" ไม่มีงานค้าง "บำบัด ฟื้นฟู ผู้ ใช้ ยาเสพติด"
    และ "spm_tak" มีงานค้าง "จัด การ เรียน ต่อเนื่อง"
    เมื่อ "spm_tak" ทำงาน "จัด การ เรียน ต่อเนื่อง" เสร็จ ด้วยข้อมูล:
      | field       | value      |
      | arrangement | same_school |
    และ "pmj_tak" ทำงาน "ติดตาม การ กลับ สู่ ครอบครัว และ ชุมชน" เสร็จ ด้วยข้อมูล:
      | field          | value        |
      | follow_up_date | 2027-01-10   |
      | outcome        | reintegrated |
    ดังนั้น กรณีปิดแล้ว
