# language: th
โครงหลัก: P6 นักเรียน พิการ ส่งต่อ ศูนย์การศึกษาพิเศษ

  เหตุการณ์: P6 นักเรียน มี ผล วินิจฉัย แล้ว ได้ แผน IEP โดย ไม่ ต้อง ทำ บัตร ใหม่
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P6" ที่เริ่มโดย "school_maesot"
    เมื่อ "spm_tak" ทำงาน "คัดกรอง นักเรียน เบื้องต้น" เสร็จ ด้วยข้อมูล:
      | field                  | value            |
      | child_first_name       | ดาว              |
      | child_school           | school_maesot    |
      | screening_source       | parent_request   |
      | suspected_difficulties | ["visual"]       |
      | parents_informed       | true             |
    ดังนั้น "specialed_tak" มีงานค้าง "ประเมิน ความ ต้องการ จำเป็น พิเศษ"
    และ งาน "ประเมิน ความ ต้องการ จำเป็น พิเศษ" ครบกำหนด 30 วันหลังสร้าง
    เมื่อ เวลาผ่านไป 3 วัน
    และ "specialed_tak" ทำงาน "ประเมิน ความ ต้องการ จำเป็น พิเศษ" เสร็จ ด้วยข้อมูล:
      | field                    | value      |
      | assessment_date          | 2026-12-03 |
      | special_education_needed | true       |
      | disability_category      | visual     |
      | needs_medical_diagnosis  | false      |
    ดังนั้น "health_tak" ไม่มีงานค้าง "ตรวจ วินิจฉัย ความพิการ"
    และ "specialed_tak" มีงานค้าง "จัดทำ แผน IEP ร่วม กับ ผู้ปกครอง"
    เมื่อ "specialed_tak" ทำงาน "จัดทำ แผน IEP ร่วม กับ ผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                 | value                      |
      | iep_start_date        | 2026-12-10                 |
      | parents_participated  | true                       |
      | education_setting     | inclusive_school           |
      | services              | ["assistive_technology"]   |
      | needs_disability_card | false                      |
    ดังนั้น "spm_tak" มีงานค้าง "จัด การ เรียน ตาม แผน IEP"
    และ งาน "จัด การ เรียน ตาม แผน IEP" ครบกำหนด 15 วันหลังสร้าง
    เมื่อ "spm_tak" ทำงาน "จัด การ เรียน ตาม แผน IEP" เสร็จ ด้วยข้อมูล:
      | field                  | value                               |
      | implementation_started | 2026-12-14                          |
      | responsible_teacher    | ครู มาลี                             |
      | accommodations         | ["adapted_materials", "seating"]    |
    และ "specialed_tak" ทำงาน "ทบทวน แผน IEP ประจำปี" เสร็จ ด้วยข้อมูล:
      | field                | value                  |
      | review_date          | 2027-11-20             |
      | parents_participated | true                   |
      | goals_met            | met                    |
      | next_step            | transition_next_level  |
    ดังนั้น กรณีปิดแล้ว

  เหตุการณ์: P6 ไม่ ทบทวน แผน IEP ภายใน หนึ่ง ปี ยกระดับ ถึง หัวหน้างาน ของ ศูนย์การศึกษาพิเศษ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P6" ที่เริ่มโดย "school_umphang"
    เมื่อ "spm_tak" ทำงาน "คัดกรอง นักเรียน เบื้องต้น" เสร็จ ด้วยข้อมูล:
      | field                  | value        |
      | child_first_name       | นที           |
      | suspected_difficulties | ["autism"]   |
      | parents_informed       | true         |
    และ "specialed_tak" ทำงาน "ประเมิน ความ ต้องการ จำเป็น พิเศษ" เสร็จ ด้วยข้อมูล:
      | field                    | value      |
      | assessment_date          | 2026-11-30 |
      | special_education_needed | true       |
      | disability_category      | autism     |
      | needs_medical_diagnosis  | false      |
    และ "specialed_tak" ทำงาน "จัดทำ แผน IEP ร่วม กับ ผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                 | value            |
      | iep_start_date        | 2026-12-01       |
      | parents_participated  | true             |
      | education_setting     | special_class    |
      | needs_disability_card | false            |
    ดังนั้น "pmj_tak" ไม่มีงานค้าง "ทำ บัตร คนพิการ และ สวัสดิการ"
    เมื่อ "spm_tak" ทำงาน "จัด การ เรียน ตาม แผน IEP" เสร็จ ด้วยข้อมูล:
      | field                  | value       |
      | implementation_started | 2026-12-01  |
      | responsible_teacher    | ครู วันดี    |
    ดังนั้น งาน "ทบทวน แผน IEP ประจำปี" ครบกำหนด 365 วันหลังสร้าง
    เมื่อ เวลาผ่านไป 366 วัน
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "specialed_tak"
    และ "specialed_tak" มีงานค้าง "ทบทวน แผน IEP ประจำปี"
