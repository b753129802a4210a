// site.js — the operator's footer (主办单位, ICP 备案号: `qifu serve --operator --icp`), from
// the public GET /healthz, which answers without a session.
import { http } from './http.js'

/** { status, operator?, icp? } */
export const info = () => http.get('/healthz')
