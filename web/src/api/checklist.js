// checklist.js — the personal material list of a 办事指南 (issue 18 item 2): the 情形 answers
// in, the list, the pending items and the questions still needed out.
//
//   import * as checklistApi from '@/api/checklist.js'
//   const r = await checklistApi.get(id, { answers: { s_chain: true }, use_enterprise: false })
//   // { id, version, complete, questions: [{ id, question, type, options, unit, decides }],
//   //   materials: [{ ...material, reason }], steps, fees, acceptance_conditions,
//   //   pending: { materials, steps, fees, acceptance_conditions }, time_limit, case_type,
//   //   visits, locations, consult_phone, complaint_phone, service: { name, task_name, ... } }
import { http } from './http.js'

/** POST /service-items/{id}/checklist (public; use_enterprise only for an enterprise login). */
export const get = (id, body) => http.post(`/service-items/${encodeURIComponent(id)}/checklist`, body)
