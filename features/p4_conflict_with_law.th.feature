# language: th
โครงหลัก: P4 เด็กที่ถูกกล่าวหาว่ากระทำความผิด
  เด็กอายุต่ำกว่า 12 ปีไม่ต้องรับโทษทางอาญา สถานพินิจดูแลโดยไม่มีการตรวจสอบการจับหรือการฟ้อง
  และส่งต่อการสงเคราะห์ตามพระราชบัญญัติคุ้มครองเด็ก (P1) เมื่อจำเป็น เด็กอายุ 12 ปีขึ้นไปต้องส่งตัวให้ศาล
  ตรวจสอบการจับภายใน 24 ชั่วโมงนับแต่จับ และพนักงานอัยการต้องฟ้องภายใน 30 วันนับแต่วันจับ

  เหตุการณ์: P4 เด็กอายุ 11 ปี สถานพินิจดูแลและหัวหน้างานอนุมัติปิดกรณี
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P4" ที่เริ่มโดย "police_tak"
    เมื่อ "police_tak" ทำงาน "บันทึกการจับและแจ้งผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                       | value                                                                   |
      | child_first_name            | ฝน                                                                      |
      | child_birth_date            | 2015-06-01                                                              |
      | child_is_student            | true                                                                    |
      | guardians                   | [{"name": "มาลี แสงทอง", "relation": "parent", "alleged_abuser": false}] |
      | age                         | 11                                                                      |
      | custody_type                | summons                                                                 |
      | arrested_at                 | 2026-11-30T08:30:00+07:00                                               |
      | offence_category            | property                                                                |
      | parents_notified            | true                                                                    |
      | observation_centre_notified | true                                                                    |
    ดังนั้น "djop_tak" มีงานค้าง "สถานพินิจดูแลเด็กอายุไม่ถึง 12 ปี"
    และ "police_tak" ไม่มีงานค้าง "ส่งตัวเด็กให้ศาลตรวจสอบการจับ"
    เมื่อ "djop_tak" ทำงาน "สถานพินิจดูแลเด็กอายุไม่ถึง 12 ปี" เสร็จ ด้วยข้อมูล:
      | field             | value                                 |
      | assessed_on       | 2026-12-01                            |
      | measures          | ["guardian_advice", "school_support"] |
      | guardian_informed | true                                  |
      | needs_cpa_welfare | false                                 |
    และ "djop_tak" ทำงาน "อนุมัติปิดกรณี" เสร็จ ด้วยข้อมูล:
      | field                     | value                                         |
      | closure_reason            | under_12_cared_for                            |
      | closure_summary           | แนะนำมารดาและประสานโรงเรียนดูแลต่อ ไม่ต้องสงเคราะห์ |
      | best_interests_considered | true                                          |
    ดังนั้น กรณีปิดแล้ว

  เหตุการณ์: P4 ตำรวจส่งตัวเด็กให้ศาลตรวจสอบการจับล่าช้า นับจากเวลาจับ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P4" ที่เริ่มโดย "police_tak"
    เมื่อ "police_tak" ทำงาน "บันทึกการจับและแจ้งผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                       | value                     |
      | child_first_name            | ดิน                        |
      | child_is_student            | false                     |
      | age                         | 17                        |
      | custody_type                | arrest                    |
      | arrested_at                 | 2026-11-30T08:00:00+07:00 |
      | offence_category            | traffic                   |
      | parents_notified            | true                      |
      | observation_centre_notified | false                     |
    ดังนั้น งาน "ส่งตัวเด็กให้ศาลตรวจสอบการจับ" ครบกำหนดเวลา "2026-12-01T08:00:00+07:00"
    เมื่อ เวลาผ่านไป 24 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "police_tak"
    เมื่อ เวลาผ่านไป 24 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat"
