# language: th
โครงหลัก: P7 เด็กข้ามชาติ ไร้สัญชาติ หรือไม่มีเอกสาร

  เหตุการณ์: P7 เด็กที่ไม่มีผู้ปกครองได้รับการคุ้มครองในชุมชนและเข้าเรียนด้วยรหัส G
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P7" ที่เริ่มโดย "school_maesot"
    เมื่อ "spm_tak" ทำงาน "รับเด็กและบันทึกตัวตน" เสร็จ ด้วยข้อมูล:
      | field                 | value   |
      | child_first_name      | หม่อง    |
      | child_language        | พม่า     |
      | identity_document     | none    |
      | interpreter_needed    | true    |
      | interpreter_language  | burmese |
      | unaccompanied         | true    |
      | trafficking_indicator | false   |
    ดังนั้น "pmj_tak" มีงานค้าง "ประเมินและวางแผนคุ้มครอง"
    และ งาน "ประเมินและวางแผนคุ้มครอง" ครบกำหนด 24 ชั่วโมงหลังสร้าง
    และ "spm_tak" มีงานค้าง "ออกรหัส G และรับเข้าเรียน"
    และ "police_tak" ไม่มีงานค้าง "คัดแยกผู้เสียหายจากการค้ามนุษย์"
    เมื่อ "pmj_tak" ทำงาน "ประเมินและวางแผนคุ้มครอง" เสร็จ ด้วยข้อมูล:
      | field               | value                                |
      | assessment_date     | 2026-11-30                           |
      | case_classification | welfare_s32                          |
      | welfare_measures    | ["family_tracing", "family_support"] |
      | needs_shelter       | false                                |
      | guardian_consent    | no_guardian                          |
    ดังนั้น "shelter_tak" ไม่มีงานค้าง "ดูแลเด็กในสถานแรกรับ"
    เมื่อ "spm_tak" ทำงาน "ออกรหัส G และรับเข้าเรียน" เสร็จ ด้วยข้อมูล:
      | field          | value           |
      | child_g_code   | G631234567892   |
      | child_school   | school_maesot   |
      | enrolment_date | 2026-12-01      |
      | grade_level    | lower_secondary |
    และ "provadmin_tak" ทำงาน "ตรวจสอบสถานะและแจ้งเกิด" เสร็จ ด้วยข้อมูล:
      | field                | value                |
      | district_office      | mae_sot              |
      | registration_status  | pending_verification |
      | birth_registered     | false                |
      | status_request_filed | true                 |
    ดังนั้น "pmj_tak" มีงานค้าง "อนุมัติปิดกรณี"
    เมื่อ "pmj_tak" ทำงาน "อนุมัติปิดกรณี" เสร็จ ด้วยข้อมูล:
      | closure_reason            | protected                                     |
      | closure_summary           | ติดตามครอบครัวได้แล้ว เด็กอยู่กับญาติในชุมชนและได้เรียนต่อ |
      | child_views               | อยากเรียนหนังสือและอยู่กับป้า                        |
      | best_interests_considered | true                                          |
    ดังนั้น กรณีปิดแล้ว

  เหตุการณ์: P7 ออกรหัส G ล่าช้า ยกระดับถึงหัวหน้างานของโรงเรียนแล้วถึงฝ่ายเลขานุการคณะกรรมการ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P7" ที่เริ่มโดย "school_umphang"
    เมื่อ "spm_tak" ทำงาน "รับเด็กและบันทึกตัวตน" เสร็จ ด้วยข้อมูล:
      | field                 | value                  |
      | child_first_name      | ซอ                     |
      | child_language        | กะเหรี่ยงโปว์             |
      | identity_document     | learning_centre_record |
      | interpreter_needed    | true                   |
      | interpreter_language  | pwo_karen              |
      | unaccompanied         | false                  |
      | trafficking_indicator | false                  |
    และ เวลาผ่านไป 8 วัน
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "spm_tak"
    และ "spm_tak" มีงานค้าง "ออกรหัส G และรับเข้าเรียน"
    เมื่อ เวลาผ่านไป 1 วัน
    ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat" ของ "spm_tak"
    เมื่อ หัวหน้างานของ "spm_tak" รับทราบการยกระดับ
    และ "spm_tak" ทำงาน "ออกรหัส G และรับเข้าเรียน" เสร็จ ด้วยข้อมูล:
      | field          | value          |
      | child_g_code   | G631234567893  |
      | child_school   | school_umphang |
      | enrolment_date | 2026-12-09     |
      | grade_level    | primary        |
    ดังนั้น "provadmin_tak" มีงานค้าง "ตรวจสอบสถานะและแจ้งเกิด"
