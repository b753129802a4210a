// tags.js — tag colours of policy, grant, application and run states and outcomes, and the
// delivery names the policy form offers. State names come from the server (lib/labels.js).
export const DELIVERY = { mian_shen: '免申即享', ji_shen: '即申即享', shen_bao: '申报审批' }
export const POLICY_STATE_TYPE = { draft: 'info', published: 'success', withdrawn: 'danger', expired: 'warning' }
export const GRANT_STATE_TYPE = { matched: 'info', notified: 'primary', confirmed: 'warning', declined: 'info', paid: 'success' }
export const APP_STATE_TYPE = { submitted: 'warning', more_info: 'primary', approved: 'success', rejected: 'danger', withdrawn: 'info' }
export const RUN_STATES = { queued: '排队中', running: '运行中', done: '已完成', failed: '失败' }
export const OUTCOME_TYPE = { eligible: 'success', manual_review: 'info', possibly_eligible: 'warning', ineligible: 'danger' }
