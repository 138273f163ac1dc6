# language: th
โครงหลัก: P6 นักเรียนพิการส่งต่อศูนย์การศึกษาพิเศษ

  เหตุการณ์: P6 นักเรียนที่มีผลวินิจฉัยแล้วได้แผน IEP โดยไม่ต้องทำบัตรใหม่
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P6" ที่เริ่มโดย "school_maesot"
    เมื่อ "spm_tak" ทำงาน "คัดกรองนักเรียนเบื้องต้น" เสร็จ ด้วยข้อมูล:
      | field                  | value          |
      | child_first_name       | ดาว            |
      | child_school           | school_maesot  |
      | screening_source       | parent_request |
      | suspected_difficulties | ["visual"]     |
      | parents_informed       | true           |
    ดังนั้น "specialed_tak" มีงานค้าง "ประเมินความต้องการจำเป็นพิเศษ"
    และ งาน "ประเมินความต้องการจำเป็นพิเศษ" ครบกำหนด 30 วันหลังสร้าง
    เมื่อ เวลาผ่านไป 3 วัน
    และ "specialed_tak" ทำงาน "ประเมินความต้องการจำเป็นพิเศษ" เสร็จ ด้วยข้อมูล:
      | field                    | value      |
      | assessment_date          | 2026-12-03 |
      | special_education_needed | true       |
      | disability_category      | visual     |
      | needs_medical_diagnosis  | false      |
    ดังนั้น "health_tak" ไม่มีงานค้าง "ตรวจวินิจฉัยความพิการ"
    และ "specialed_tak" มีงานค้าง "จัดทำแผน IEP ร่วมกับผู้ปกครอง"
    เมื่อ "specialed_tak" ทำงาน "จัดทำแผน IEP ร่วมกับผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                 | value                    |
      | iep_start_date        | 2026-12-10               |
      | parents_participated  | true                     |
      | education_setting     | inclusive_school         |
      | services              | ["assistive_technology"] |
      | needs_disability_card | false                    |
    ดังนั้น "spm_tak" มีงานค้าง "จัดการเรียนตามแผน IEP"
    และ งาน "จัดการเรียนตามแผน IEP" ครบกำหนด 15 วันหลังสร้าง
    เมื่อ "spm_tak" ทำงาน "จัดการเรียนตามแผน IEP" เสร็จ ด้วยข้อมูล:
      | field                  | value                            |
      | implementation_started | 2026-12-14                       |
      | responsible_teacher    | ครูมาลี                            |
      | accommodations         | ["adapted_materials", "seating"] |
    และ "specialed_tak" ทำงาน "ทบทวนแผน IEP ประจำปี" เสร็จ ด้วยข้อมูล:
      | field                | value                 |
      | review_date          | 2027-11-20            |
      | parents_participated | true                  |
      | goals_met            | met                   |
      | next_step            | transition_next_level |
    ดังนั้น "specialed_tak" มีงานค้าง "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง"
    เมื่อ "specialed_tak" ทำงาน "หัวหน้าศูนย์การศึกษาพิเศษอนุมัติปิดเรื่อง" เสร็จ ด้วยข้อมูล:
      | closure_reason            | transitioned |
      | best_interests_considered | true         |
    ดังนั้น กรณีปิดแล้ว

  เหตุการณ์: P6 ไม่ทบทวนแผน IEP ภายในหนึ่งปี จึงยกระดับถึงหัวหน้างานของศูนย์การศึกษาพิเศษ
    กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
    และ มีกรณีตามโพรโทคอล "P6" ที่เริ่มโดย "school_umphang"
    เมื่อ "spm_tak" ทำงาน "คัดกรองนักเรียนเบื้องต้น" เสร็จ ด้วยข้อมูล:
      | field                  | value      |
      | child_first_name       | นที         |
      | suspected_difficulties | ["autism"] |
      | parents_informed       | true       |
    และ "specialed_tak" ทำงาน "ประเมินความต้องการจำเป็นพิเศษ" เสร็จ ด้วยข้อมูล:
      | field                    | value      |
      | assessment_date          | 2026-11-30 |
      | special_education_needed | true       |
      | disability_category      | autism     |
      | needs_medical_diagnosis  | false      |
    และ "specialed_tak" ทำงาน "จัดทำแผน IEP ร่วมกับผู้ปกครอง" เสร็จ ด้วยข้อมูล:
      | field                 | value         |
      | iep_start_date        | 2026-12-01    |
      | parents_participated  | true          |
      | education_setting     | special_class |
      | needs_disability_card | false         |
    ดังนั้น "pmj_tak" ไม่มีงานค้าง "ทำบัตรคนพิการและสวัสดิการ"
    เมื่อ "spm_tak" ทำงาน "จัดการเรียนตามแผน IEP" เสร็จ ด้วยข้อมูล:
      | field                  | value      |
      | implementation_started | 2026-12-01 |
      | responsible_teacher    | ครูวันดี      |
    ดังนั้น งาน "ทบทวนแผน IEP ประจำปี" ครบกำหนด 365 วันหลังสร้าง
    เมื่อ เวลาผ่านไป 366 วัน
    ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "specialed_tak"
    และ "specialed_tak" มีงานค้าง "ทบทวนแผน IEP ประจำปี"
