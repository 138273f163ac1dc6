# language: th
โครงหลัก: P1 เด็ก ที่ สงสัย ว่า ถูก ทารุณกรรม หรือ ถูก ทอดทิ้ง
  โรงเรียน แจ้ง เหตุ พมจ. รับ เรื่อง และ คัดกรอง ตำรวจ รับ แจ้ง ความ และ แยก ตัว เด็ก
  โรงพยาบาล ตรวจ ร่างกาย ตำรวจ ต้อง สอบ ปากคำ เด็ก ภายใน 12 ชั่วโมง (มาตรา 30(2))
  ถ้า ล่าช้า หัวหน้างาน ของ ตำรวจ ได้รับ การ ยกระดับ ก่อน และ ถ้า ไม่ รับทราบ ภายใน 1 วัน
  จะ ยกระดับ ถึง ฝ่ายเลขานุการ คณะกรรมการ คุ้มครอง เด็ก จังหวัด

  เหตุการณ์: P1 ตำรวจ สอบ ปากคำ เด็ก ล่าช้า เกิน 12 ชั่วโมง
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_takpit"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้ง เหตุ" เสร็จ ด้วยข้อมูล:
      | field            | value                                |
      | child_first_name | ส้มโอ                                 |
      | child_birth_date | 2012-01-20                           |
      | report_channel   | school                               |
      | concern_type     | ["physical_abuse", "emotional_abuse"] |
      | incident_summary | ครู พบ รอย ไหม้ ที่ มือ เด็ก กลัว ไม่ กล้า กลับ บ้าน      |
      | basic_aid_given  | true                                 |
    และ "pmj_tak" ทำงาน "คัดกรอง และ ประเมิน ความ เสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | true  |
      | best_interests_considered | true  |
    และ "police_tak" ทำงาน "รับ แจ้ง ความ และ แยก ตัว เด็ก" เสร็จ ด้วยข้อมูล:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:30:00+07:00 |
      | child_separated    | true                      |
    และ "health_tak" ทำงาน "ตรวจ ร่างกาย และ จิตใจ" เสร็จ ด้วยข้อมูล:
      | field          | value                     |
      | examined_at    | 2026-11-30T10:30:00+07:00 |
      | injuries_found | true                      |
    ดังนั้น "police_tak" มีงานค้าง "สอบ ปากคำ เด็ก"
    และ งาน "สอบ ปากคำ เด็ก" ครบกำหนด 12 ชั่วโมงหลังสร้าง
    เมื่อ เวลาผ่านไป 13 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "police_tak"
    เมื่อ เวลาผ่านไป 24 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat"
    และ "police_tak" มีงานค้าง "สอบ ปากคำ เด็ก"

  เหตุการณ์: P1 หัวหน้างาน ตำรวจ รับทราบ การ ยกระดับ แล้ว สอบ ปากคำ ต่อ จน เด็ก เข้า สถานแรกรับ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_padung"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้ง เหตุ" เสร็จ ด้วยข้อมูล:
      | field            | value                    |
      | child_first_name | ข้าวหอม                   |
      | report_channel   | school                   |
      | concern_type     | ["sexual_abuse"]         |
      | incident_summary | เด็ก เล่า ให้ ครู แนะแนว ฟัง |
    และ "pmj_tak" ทำงาน "คัดกรอง และ ประเมิน ความ เสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | true  |
      | best_interests_considered | true  |
    และ "police_tak" ทำงาน "รับ แจ้ง ความ และ แยก ตัว เด็ก" เสร็จ ด้วยข้อมูล:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:15:00+07:00 |
      | child_separated    | true                      |
    และ "health_tak" ทำงาน "ตรวจ ร่างกาย และ จิตใจ" เสร็จ ด้วยข้อมูล:
      | field                     | value                     |
      | examined_at               | 2026-11-30T10:00:00+07:00 |
      | injuries_found            | false                     |
      | sexual_assault_care_given | true                      |
    และ เวลาผ่านไป 13 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "police_tak"
    เมื่อ หัวหน้างานของ "police_tak" รับทราบการยกระดับ
    และ "police_tak" ทำงาน "สอบ ปากคำ เด็ก" เสร็จ ด้วยข้อมูล:
      | field          | value                                           |
      | questioned_at  | 2026-12-01T08:00:00+07:00                       |
      | interview_team | ["psychologist", "prosecutor", "trusted_person"] |
    ดังนั้น "shelter_tak" มีงานค้าง "รับ เด็ก เข้า สถานแรกรับ"
    และ "police_tak" ไม่มีงานค้าง "สอบ ปากคำ เด็ก"

  เหตุการณ์: P1 ผู้ปกครอง ไม่ ยินยอม ผู้ว่าราชการจังหวัด จึง ออก คำสั่ง ตาม มาตรา 33
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_umphang"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้ง เหตุ" เสร็จ ด้วยข้อมูล:
      | field            | value                                                    |
      | child_first_name | หมอก                                                     |
      | child_language   | กะเหรี่ยง                                                 |
      | child_school     | school_umphang                                           |
      | guardians        | [{"name": "พะ โพ", "relation": "relative", "alleged_abuser": true}] |
      | report_channel   | school                                                   |
      | concern_type     | ["neglect", "exploitation"]                              |
      | incident_summary | ญาติ ให้ เด็ก ทำงาน รับจ้าง แทน การ เรียน และ ทำร้าย เมื่อ ไม่ ได้ เงิน |
    และ "pmj_tak" ทำงาน "คัดกรอง และ ประเมิน ความ เสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                       | value |
      | risk_level                  | high  |
      | needs_separation            | true  |
      | alleged_abuser_in_household | true  |
      | best_interests_considered   | true  |
    และ "police_tak" ทำงาน "รับ แจ้ง ความ และ แยก ตัว เด็ก" เสร็จ ด้วยข้อมูล:
      | field              | value                     |
      | report_received_at | 2026-11-30T09:40:00+07:00 |
      | child_separated    | true                      |
    และ "health_tak" ทำงาน "ตรวจ ร่างกาย และ จิตใจ" เสร็จ ด้วยข้อมูล:
      | field          | value                     |
      | examined_at    | 2026-11-30T11:30:00+07:00 |
      | injuries_found | true                      |
    และ "police_tak" ทำงาน "สอบ ปากคำ เด็ก" เสร็จ ด้วยข้อมูล:
      | field          | value                                          |
      | questioned_at  | 2026-11-30T13:30:00+07:00                      |
      | interview_team | ["social_worker", "prosecutor", "interpreter"] |
    และ "shelter_tak" ทำงาน "รับ เด็ก เข้า สถานแรกรับ" เสร็จ ด้วยข้อมูล:
      | field             | value                     |
      | admitted_at       | 2026-11-30T17:00:00+07:00 |
      | experts_consulted | true                      |
    และ "shelter_tak" ทำงาน "สืบเสาะ และ พินิจ" เสร็จ ด้วยข้อมูล:
      | field                | value          |
      | home_safe_for_return | false          |
      | recommended_measure  | welfare_centre |
    และ "spm_tak" ทำงาน "ส่ง รายงาน ของ โรงเรียน" เสร็จ ด้วยข้อมูล:
      | field                | value                                |
      | teacher_observations | เด็ก ขาด เรียน บ่อย และ มี รอย แผล ที่ หลัง |
    และ "pmj_tak" ทำงาน "ประชุม ทีม สหวิชาชีพ" เสร็จ ด้วยข้อมูล:
      | field                     | value                                    |
      | conference_date           | 2026-12-04                               |
      | agencies_present          | ["pmj_tak", "shelter_tak", "health_tak"] |
      | social_work_expert_heard  | true                                     |
      | medical_expert_heard      | true                                     |
      | conference_recommendation | welfare_centre                           |
      | best_interests_considered | true                                     |
    และ "pmj_tak" ทำงาน "จัดทำ แผน สงเคราะห์ และ ขอ ความ ยินยอม" เสร็จ ด้วยข้อมูล:
      | field                     | value                    |
      | welfare_measure           | welfare_centre           |
      | guardian_consents         | false                    |
      | refusal_reason            | ญาติ ต้องการ ให้ เด็ก ทำงาน ต่อ |
      | best_interests_considered | true                     |
    ดังนั้น "provadmin_tak" มีงานค้าง "ออก คำสั่ง ผู้ว่าราชการจังหวัด"
    เมื่อ "provadmin_tak" ทำงาน "ออก คำสั่ง ผู้ว่าราชการจังหวัด" เสร็จ ด้วยข้อมูล:
      | field                | value          |
      | order_number         | 52/2569        |
      | order_date           | 2026-12-07     |
      | ordered_measure      | welfare_centre |
      | placement_duration   | P1Y            |
      | experts_report_heard | true           |
    ดังนั้น กรณีปิดแล้ว
