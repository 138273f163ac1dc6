# language: th
โครงหลัก: P7 เด็ก ข้ามชาติ ไร้ สัญชาติ หรือ ไม่มี เอกสาร

  เหตุการณ์: P7 เด็ก ที่ ไม่มี ผู้ปกครอง ได้รับ การ คุ้มครอง ใน ชุมชน และ เข้า เรียน ด้วย รหัส G
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P7" ที่เริ่มโดย "school_maesot"
    เมื่อ "spm_tak" ทำงาน "รับ เด็ก และ บันทึก ตัวตน" เสร็จ ด้วยข้อมูล:
      | field                 | value        |
      | child_first_name      | หม่อง         |
      | child_language        | พม่า          |
      | identity_document     | none         |
      | interpreter_needed    | true         |
      | interpreter_language  | burmese      |
      | unaccompanied         | true         |
      | trafficking_indicator | false        |
    ดังนั้น "pmj_tak" มีงานค้าง "ประเมิน และ วางแผน คุ้มครอง"
    และ งาน "ประเมิน และ วางแผน คุ้มครอง" ครบกำหนด 24 ชั่วโมงหลังสร้าง
    และ "spm_tak" มีงานค้าง "ออก รหัส G และ รับ เข้า เรียน"
    และ "police_tak" ไม่มีงานค้าง "คัดแยก ผู้เสียหาย จาก การค้ามนุษย์"
    เมื่อ "pmj_tak" ทำงาน "ประเมิน และ วางแผน คุ้มครอง" เสร็จ ด้วยข้อมูล:
      | field               | value                                 |
      | assessment_date     | 2026-11-30                            |
      | case_classification | welfare_s32                           |
      | welfare_measures    | ["family_tracing", "family_support"]  |
      | needs_shelter       | false                                 |
      | guardian_consent    | no_guardian                           |
    ดังนั้น "shelter_tak" ไม่มีงานค้าง "ดูแล เด็ก ใน สถานแรกรับ"
    เมื่อ "spm_tak" ทำงาน "ออก รหัส G และ รับ เข้า เรียน" เสร็จ ด้วยข้อมูล:
      | field          | value          |
      | child_g_code   | G631234567892  |
      | child_school   | school_maesot  |
      | enrolment_date | 2026-12-01     |
      | grade_level    | lower_secondary |
    และ "provadmin_tak" ทำงาน "ตรวจสอบ สถานะ และ แจ้ง เกิด" เสร็จ ด้วยข้อมูล:
      | field                | value                |
      | district_office      | mae_sot              |
      | registration_status  | pending_verification |
      | birth_registered     | false                |
      | status_request_filed | true                 |
    ดังนั้น กรณีปิดแล้ว

  เหตุการณ์: P7 ออก รหัส G ล่าช้า ยกระดับ ถึง หัวหน้างาน ของ โรงเรียน แล้ว ถึง ฝ่ายเลขานุการ คณะกรรมการ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P7" ที่เริ่มโดย "school_umphang"
    เมื่อ "spm_tak" ทำงาน "รับ เด็ก และ บันทึก ตัวตน" เสร็จ ด้วยข้อมูล:
      | field                 | value                  |
      | child_first_name      | ซอ                     |
      | child_language        | กะเหรี่ยง โปว์           |
      | identity_document     | learning_centre_record |
      | interpreter_needed    | true                   |
      | interpreter_language  | pwo_karen              |
      | unaccompanied         | false                  |
      | trafficking_indicator | false                  |
    และ เวลาผ่านไป 8 วัน
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "spm_tak"
    และ "spm_tak" มีงานค้าง "ออก รหัส G และ รับ เข้า เรียน"
    เมื่อ เวลาผ่านไป 1 วัน
    ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat" ของ "spm_tak"
    เมื่อ หัวหน้างานของ "spm_tak" รับทราบการยกระดับ
    และ "spm_tak" ทำงาน "ออก รหัส G และ รับ เข้า เรียน" เสร็จ ด้วยข้อมูล:
      | field          | value           |
      | child_g_code   | G631234567893   |
      | child_school   | school_umphang  |
      | enrolment_date | 2026-12-09      |
      | grade_level    | primary         |
    ดังนั้น "provadmin_tak" มีงานค้าง "ตรวจสอบ สถานะ และ แจ้ง เกิด"
