# language: th
โครงหลัก: P8 การ ดูแล นักเรียน วัยรุ่น ตั้งครรภ์

  เหตุการณ์: P8 สงสัย ว่า ถูก ล่วงละเมิด ทาง เพศ ส่งต่อ P1 และ ดูแล สุขภาพ กับ การ เรียน ต่อ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P8" ที่เริ่มโดย "school_takpit"
    เมื่อ "spm_tak" ทำงาน "รับ เรื่อง นักเรียน ตั้งครรภ์" เสร็จ ด้วยข้อมูล:
      | field              | value                                                                      |
      | child_first_name   | ฝน                                                                          |
      | age                | 16                                                                         |
      | disclosure_channel | self_disclosure                                                            |
      | suspected_abuse    | true                                                                       |
      | referral_basis     | legal_duty                                                                 |
      | guardians          | [{"name": "ผู้ ดูแล", "relation": "custodian", "alleged_abuser": true}]     |
    ดังนั้น มีกรณีเชื่อมโยงตามโพรโทคอล "P1" เริ่มขึ้น
    และ กรณีเชื่อมโยงมีงานค้าง "รับแจ้ง เหตุ" ของ "pmj_tak"
    และ "health_tak" มีงานค้าง "ส่งต่อ ฝากครรภ์ และ ให้ คำปรึกษา"
    และ งาน "ส่งต่อ ฝากครรภ์ และ ให้ คำปรึกษา" ครบกำหนด 7 วันหลังสร้าง
    เมื่อ เวลาผ่านไป 8 วัน
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "health_tak"
    และ มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "spm_tak"
    เมื่อ หัวหน้างานของ "health_tak" รับทราบการยกระดับ
    และ "health_tak" ทำงาน "ส่งต่อ ฝากครรภ์ และ ให้ คำปรึกษา" เสร็จ ด้วยข้อมูล:
      | field                | value     |
      | first_visit_date     | 2026-12-08 |
      | counselling_provided | true      |
      | pregnancy_plan       | undecided |
      | health_risk          | high      |
    และ "spm_tak" ทำงาน "จัด ให้ เรียน ต่อเนื่อง" เสร็จ ด้วยข้อมูล:
      | field                    | value         |
      | study_arrangement        | home_learning |
      | student_choice_recorded  | true          |
      | confidentiality_arranged | true          |
    ดังนั้น "pmj_tak" มีงานค้าง "จัดทำ แผน สวัสดิการ แม่ วัยรุ่น"

  เหตุการณ์: P8 แม่ วัยรุ่น ที่ ออก จาก ระบบ การศึกษา ถูก ส่งต่อ P5
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P8" ที่เริ่มโดย "school_umphang"
    เมื่อ "spm_tak" ทำงาน "รับ เรื่อง นักเรียน ตั้งครรภ์" เสร็จ ด้วยข้อมูล:
      | field            | value           |
      | child_first_name | ส้ม              |
      | age              | 17              |
      | suspected_abuse  | false           |
      | referral_basis   | student_consent |
    และ "health_tak" ทำงาน "ส่งต่อ ฝากครรภ์ และ ให้ คำปรึกษา" เสร็จ ด้วยข้อมูล:
      | field                | value    |
      | counselling_provided | true     |
      | pregnancy_plan       | continue |
      | health_risk          | standard |
    และ "spm_tak" ทำงาน "จัด ให้ เรียน ต่อเนื่อง" เสร็จ ด้วยข้อมูล:
      | field                    | value            |
      | study_arrangement        | leave_and_return |
      | student_choice_recorded  | true             |
      | confidentiality_arranged | true             |
    และ "pmj_tak" ทำงาน "จัดทำ แผน สวัสดิการ แม่ วัยรุ่น" เสร็จ ด้วยข้อมูล:
      | field            | value                           |
      | plan_date        | 2026-12-01                      |
      | family_support   | unsupportive                    |
      | welfare_services | ["emergency_cash", "childcare"] |
    และ "pmj_tak" ทำงาน "ติดตาม ผล แผน สวัสดิการ" เสร็จ ด้วยข้อมูล:
      | field              | value            |
      | follow_up_date     | 2027-02-15       |
      | still_in_education | false            |
      | outcome            | continue_support |
    ดังนั้น กรณีปิดแล้ว
    และ มีกรณีเชื่อมโยงตามโพรโทคอล "P5" เริ่มขึ้น
