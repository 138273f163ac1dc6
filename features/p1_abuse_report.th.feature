# language: th
โครงหลัก: P1 เด็กที่สงสัยว่าถูกทารุณกรรมหรือถูกทอดทิ้ง
  โรงเรียนรายงานเหตุตามมาตรา 29 และ พมจ. รับเรื่องและคัดกรอง พนักงานเจ้าหน้าที่แยกตัวเด็กและซักถามเด็ก
  ได้ไม่เกิน 12 ชั่วโมงนับแต่รับตัวเด็กไว้ตามมาตรา 30(2) แม้การตรวจร่างกายจะล่าช้า ถ้าเกินกำหนด
  ฝ่ายเลขานุการคณะกรรมการคุ้มครองเด็กจังหวัดได้รับแจ้งทันที กรณีที่ศาลมีคำสั่งตามมาตรา 43
  และมีผู้คุ้มครองสวัสดิภาพเด็กตามมาตรา 48 ปิดได้เมื่อหัวหน้างานอนุมัติเท่านั้น

  เหตุการณ์: P1 เกิน 12 ชั่วโมงนับแต่รับตัวเด็ก ระบบแจ้งทันทีแม้การตรวจร่างกายยังไม่เสร็จ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_takpit"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ ด้วยข้อมูล:
      | field                          | value                                 |
      | child_first_name               | ส้มโอ                                  |
      | child_birth_date               | 2012-01-20                            |
      | child_is_student               | true                                  |
      | report_channel                 | school                                |
      | reporter_role                  | teacher                               |
      | concern_type                   | ["physical_abuse", "emotional_abuse"] |
      | incident_summary               | ครูพบรอยไหม้ที่มือ เด็กกลัวไม่กล้ากลับบ้าน         |
      | alleged_abuser_is_school_staff | false                                 |
      | basic_aid_given                | true                                  |
    และ "pmj_tak" ทำงาน "คัดกรองและประเมินความเสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | true  |
      | offence_suspected         | true  |
      | best_interests_considered | true  |
    และ "pmj_tak" ทำงาน "แยกตัวเด็กจากครอบครัว" เสร็จ ด้วยข้อมูล:
      | field             | value                     |
      | separated_at      | 2026-11-30T09:00:00+07:00 |
      | separated_by      | competent_official        |
      | guardian_notified | true                      |
    ดังนั้น "pmj_tak" มีงานค้าง "ซักถามเด็ก"
    และ "police_tak" มีงานค้าง "รับคำร้องทุกข์"
    และ งาน "ซักถามเด็ก" ครบกำหนดเวลา "2026-11-30T19:00:00+07:00"
    เมื่อ เวลาผ่านไป 11 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "pmj_tak"
    และ มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "health_tak"
    และ ไม่มีการยกระดับถึง "committee_secretariat"
    เมื่อ เวลาผ่านไป 2 ชั่วโมง
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "committee_secretariat" ของ "pmj_tak"
    และ "health_tak" มีงานค้าง "ตรวจร่างกายและจิตใจ"
    และ "pmj_tak" มีงานค้าง "ซักถามเด็ก"

  เหตุการณ์: P1 ผู้ถูกกล่าวหาเป็นครู โรงเรียนเปิดกรณีไม่ได้ แต่หัวหน้างานของสำนักงานเขตพื้นที่การศึกษาเปิดได้
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_umphang"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ ด้วยข้อมูล:
      | field                          | value                                      |
      | child_first_name               | แก้ว                                        |
      | child_school                   | school_umphang                             |
      | child_is_student               | true                                       |
      | report_channel                 | moe_safety_center                          |
      | concern_type                   | ["sexual_abuse"]                           |
      | incident_summary               | เด็กเล่าให้ผู้ปกครองฟังว่าครูในโรงเรียนล่วงละเมิดในห้องเรียน |
      | alleged_abuser_is_school_staff | true                                       |
      | moe_safety_center_ref          | MOESC-2569-00456                           |
    และ "pmj_tak" ทำงาน "คัดกรองและประเมินความเสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                     | value |
      | risk_level                | high  |
      | needs_separation          | false |
      | offence_suspected         | true  |
      | best_interests_considered | true  |
    และ "pmj_tak" ทำงาน "สืบเสาะและพินิจเด็กในครอบครัว" เสร็จ ด้วยข้อมูล:
      | field                | value          |
      | home_safe_for_return | true           |
      | recommended_measure  | family_support |
    ดังนั้น "spm_tak" มีงานค้าง "แสวงหาข้อเท็จจริงกรณีบุคลากร"
    และ "supervisor.spm_tak" พบงาน "แสวงหาข้อเท็จจริงกรณีบุคลากร" ในกล่องงาน
    และ "supervisor.spm_tak" เปิดกรณีได้
    และ "worker.school_umphang" เปิดกรณีไม่ได้
    และ "supervisor.school_umphang" เปิดกรณีไม่ได้
    เมื่อ "spm_tak" ทำงาน "แสวงหาข้อเท็จจริงกรณีบุคลากร" เสร็จ ด้วยข้อมูล:
      | field                      | value            |
      | moe_safety_center_ref      | MOESC-2569-00456 |
      | moe_safety_center_deadline | 2026-12-07       |
      | staff_kept_away_from_child | true             |
    ดังนั้น "pmj_tak" มีงานค้าง "ประชุมทีมสหวิชาชีพ"
    และ "supervisor.school_umphang" เปิดกรณีไม่ได้

  เหตุการณ์: P1 ผู้ปฏิบัติงานของโรงเรียนหนึ่งไม่เห็นกรณีของอีกโรงเรียนหนึ่ง
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_takpit"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ ด้วยข้อมูล:
      | field                          | value                         |
      | child_first_name               | ต้นกล้า                         |
      | child_school                   | school_takpit                 |
      | child_is_student               | true                          |
      | report_channel                 | school                        |
      | reporter_role                  | teacher                       |
      | reporter_unit                  | school_takpit                 |
      | concern_type                   | ["neglect"]                   |
      | incident_summary               | เด็กมาเรียนโดยไม่ได้กินข้าวเช้าเกือบทุกวัน |
      | alleged_abuser_is_school_staff | false                         |
    และ "pmj_tak" ทำงาน "คัดกรองและประเมินความเสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                     | value  |
      | risk_level                | medium |
      | needs_separation          | false  |
      | offence_suspected         | false  |
      | best_interests_considered | true   |
    และ "pmj_tak" ทำงาน "สืบเสาะและพินิจเด็กในครอบครัว" เสร็จ ด้วยข้อมูล:
      | field                | value          |
      | home_safe_for_return | true           |
      | recommended_measure  | family_support |
    ดังนั้น "spm_tak" มีงานค้าง "ส่งเอกสารของสถานศึกษา"
    และ "worker.school_takpit" พบงาน "ส่งเอกสารของสถานศึกษา" ในกล่องงาน
    และ "worker.school_takpit" เปิดกรณีได้
    และ "supervisor.spm_tak" เปิดกรณีได้
    และ "worker.school_padung" เปิดกรณีไม่ได้
    และ "supervisor.school_padung" เปิดกรณีไม่ได้

  เหตุการณ์: P1 ศาลมีคำสั่งตามมาตรา 43 ผู้คุ้มครองสวัสดิภาพเด็กรายงานตามมาตรา 49 และหัวหน้างานอนุมัติปิดกรณี
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_umphang"
    เมื่อ "pmj_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ ด้วยข้อมูล:
      | field                          | value                                                                                                                         |
      | child_first_name               | หมอก                                                                                                                          |
      | child_language                 | กะเหรี่ยง                                                                                                                       |
      | child_school                   | school_umphang                                                                                                                |
      | child_is_student               | true                                                                                                                          |
      | guardians                      | [{"name": "พะโพ", "relation": "relative", "alleged_abuser": true}, {"name": "หน่อวา", "relation": "parent", "alleged_abuser": false}] |
      | report_channel                 | school                                                                                                                        |
      | concern_type                   | ["physical_abuse"]                                                                                                            |
      | incident_summary               | ลุงที่อาศัยอยู่ด้วยทำร้ายเด็กเมื่อเด็กไม่ไปรับจ้าง                                                                                                |
      | alleged_abuser_is_school_staff | false                                                                                                                         |
    และ "pmj_tak" ทำงาน "คัดกรองและประเมินความเสี่ยง" เสร็จ ด้วยข้อมูล:
      | field                       | value |
      | risk_level                  | high  |
      | needs_separation            | false |
      | offence_suspected           | false |
      | alleged_abuser_in_household | true  |
      | best_interests_considered   | true  |
    และ "pmj_tak" ทำงาน "สืบเสาะและพินิจเด็กในครอบครัว" เสร็จ ด้วยข้อมูล:
      | field                | value                                  |
      | family_assessment    | มารดาดูแลเด็กได้ถ้าลุงย้ายออกจากบ้าน         |
      | home_safe_for_return | true                                   |
      | recommended_measure  | family_support                         |
    และ "spm_tak" ทำงาน "ส่งเอกสารของสถานศึกษา" เสร็จ ด้วยข้อมูล:
      | field           | value      |
      | records_sent_on | 2026-12-01 |
    และ "pmj_tak" ทำงาน "ประชุมทีมสหวิชาชีพ" เสร็จ ด้วยข้อมูล:
      | field                         | value                                 |
      | conference_date               | 2026-12-02                            |
      | agencies_present              | ["pmj_tak", "spm_tak", "provadmin_tak"] |
      | social_work_expert_heard      | true                                  |
      | medical_expert_heard          | true                                  |
      | conference_recommendation     | family_support                        |
      | court_protection_order_needed | true                                  |
      | child_views                   | อยากอยู่กับแม่และไปโรงเรียน                   |
      | best_interests_considered     | true                                  |
    และ "pmj_tak" ทำงาน "จัดทำแผนการสงเคราะห์" เสร็จ ด้วยข้อมูล:
      | field                     | value          |
      | welfare_measure           | family_support |
      | consent                   | not_required   |
      | best_interests_considered | true           |
    และ "pmj_tak" ทำงาน "ขอคำสั่งศาลตามมาตรา 43" เสร็จ ด้วยข้อมูล:
      | field       | value                      |
      | applied_on  | 2026-12-03                 |
      | applicant   | competent_official         |
      | order_made  | true                       |
      | order_date  | 2026-12-08                 |
      | order_terms | ["keep_away", "detention"] |
      | detention_days | 15                      |
    และ "pmj_tak" ทำงาน "คืนเด็กสู่ครอบครัว" เสร็จ ด้วยข้อมูล:
      | field                   | value                |
      | reunification           | already_with_guardian |
      | guardian_ignored_advice | false                |
      | protector_needed        | true                 |
    และ "provadmin_tak" ทำงาน "แต่งตั้งผู้คุ้มครองสวัสดิภาพเด็ก" เสร็จ ด้วยข้อมูล:
      | field          | value              |
      | appointed_on   | 2026-12-09         |
      | protector_kind | competent_official |
      | term_months    | 6                  |
    และ เวลาผ่านไป 95 วัน
    และ "pmj_tak" ทำงาน "รายงานของผู้คุ้มครองสวัสดิภาพเด็ก" เสร็จ ด้วยข้อมูล:
      | field                 | value                                     |
      | report_date           | 2027-03-05                                |
      | child_condition       | เด็กปลอดภัย มาเรียนทุกวัน ลุงย้ายไปอยู่อำเภออื่นแล้ว |
      | report_to             | ["governor", "provincial_committee"]      |
      | supervision_continues | false                                     |
    ดังนั้น "pmj_tak" มีงานค้าง "อนุมัติปิดกรณี"
    เมื่อ "pmj_tak" ทำงาน "อนุมัติปิดกรณี" เสร็จ ด้วยข้อมูล:
      | field                     | value                                                  |
      | closure_reason            | child_safe_with_family                                 |
      | closure_summary           | ศาลสั่งห้ามลุงเข้าใกล้เด็ก ผู้คุ้มครองสวัสดิภาพรายงานว่าเด็กปลอดภัย |
      | child_views               | สบายใจ อยากให้ครูมาเยี่ยมบ้าง                               |
      | best_interests_considered | true                                                   |
    ดังนั้น กรณีปิดแล้ว
