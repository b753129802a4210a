// guideText.js — how a 办事指南 (the GUIDE document of docs/internals/catalog.md) reads on
// a page: the names of the codes a guide's elements hold (材料来源, 纸质/电子, 必要性, 办件类型,
// 网办深度, 通办模式 ...). The catalogue's own vocabularies (item types, life stages) and any
// of these the server names come from GET /labels ("catalog" group, lib/labels.js) first;
// the words below are the guide format's fixed terms (the national 办事指南 element table).
import { codeLabel } from './labels.js'

const TERMS = {
  sources: { applicant: '申请人自备', license: '电子证照', department: '部门核发', intermediary: '中介机构', system: '系统生成' },
  forms: { paper: '纸质', electronic: '电子', paper_or_electronic: '纸质或电子' },
  necessity: { required: '必需', optional: '非必需', waived: '免提交' },
  case_types: { instant: '即办件', promise: '承诺件' },
  online_depth: { 1: '信息公开', 2: '在线预约/下载', 3: '在线预审', 4: '全程网办' },
  channels: { window: '窗口办理', online: '网上办理', self_service: '自助终端', mail: '邮寄', app: '移动端' },
  cross_modes: { online: '全程网办', proxy: '异地代收代办', joint: '多地联办' },
  cross_kinds: { handle: '办理类', query: '查询类' },
  result_types: { license: '证照', approval: '批准文书', certificate: '证明', record: '备案', other: '其他' },
  delivery: { window: '窗口领取', mail: '邮寄送达', online: '网上下载', electronic: '电子证照' },
  kinds: { new: '新设', change: '变更', renew: '延续', cancel: '注销' },
  situation_types: { bool: '是/否', int: '数值', code: '选项' },
  // The guide lint's rules (docs/internals/catalog.md "Lint"), short names for the quality board.
  lint_rules: {
    time_limit_missing: '缺办结时限', fee_missing: '缺收费信息', consult_phone_missing: '缺咨询电话',
    complaint_phone_missing: '缺投诉电话', location_missing: '缺办理地点', hours_missing: '缺办理时间',
    required_and_tolerance: '必需材料又容缺', waiver_reason_missing: '缺免提交理由', material_vague: '材料名称含糊',
    step_requirement_missing: '环节缺办理要求', form_blank_missing: '表格缺空表', form_sample_missing: '表格缺样表',
    acceptance_conditions_missing: '缺受理条件', materials_missing: '缺申请材料', legal_basis_missing: '缺实施依据',
    results_missing: '缺办理结果', steps_missing: '缺办理流程',
  },
}

/** The words of a guide code: the server's (GET /labels catalog.<kind>) or the format's. */
export function term(kind, code) {
  if (code === null || code === undefined || code === '') return '—'
  const own = TERMS[kind] && TERMS[kind][code]
  return codeLabel('catalog', kind, code, own)
}

/** { code: words } of a kind, for a select. */
export const termOptions = (kind) => TERMS[kind] || {}

/** "5 个工作日" / "即办" / "—". */
export function daysText(n) {
  if (n === null || n === undefined || n === '') return '—'
  return Number(n) === 0 ? '即办' : `${n} 个工作日`
}

/** A basis entry {law, article} as one line. */
export const basisText = (b) => (b ? `${b.law || ''}${b.article ? ' ' + b.article : ''}`.trim() || '—' : '—')

// How a search hit matched (GET /service-items/search `matched`).
const MATCHED = {
  synonym: '俗称', alias: '俗称', name: '名称', item: '事项名称', bundle: '一件事', initials: '拼音首字母',
  agency: '实施主体', text: '材料或条件', typo: '相近的词',
}

/** "俗称“开饭店”" for a hit of query q that matched by how (a code of MATCHED). */
export function matchedText(how, q) {
  if (!how) return ''
  const what = MATCHED[how] || how
  return (how === 'synonym' || how === 'alias' || how === 'typo') && q ? `${what}“${q}”` : what
}

// The Chinese names of a guide's elements and of the fields of their rows (diffs, lint paths).
const FIELDS = {
  effective_from: '施行日期', effective_to: '废止日期', exercise_level: '行使层级', agency_nature: '实施主体性质',
  audience: '服务对象', situations: '情形', acceptance_conditions: '受理条件', steps: '办理流程', materials: '申请材料',
  time_limit: '办理时限', case_type: '办件类型', visits: '到现场次数', online_depth: '网办深度', channels: '办理形式',
  fees: '收费', free: '不收费', locations: '办理地点', consult_phone: '咨询电话', complaint_phone: '投诉电话',
  results: '办理结果', intermediary: '中介服务', legal_basis: '实施依据', cross_region: '跨省通办', faq: '常见问题',
  name: '名称', question: '问题', type: '类型', unit: '单位', options: '选项', value: '值', label: '名称', text: '内容',
  when: '适用条件', requirement: '办理要求', days: '天数', source: '来源', copies: '份数', form: '纸质/电子',
  necessity: '必要性', tolerance: '容缺', waiver_reason: '免提交理由', blank_form: '空表', sample: '样表',
  is_form: '是否表格', note: '备注', legal_days: '法定时限', promised_days: '承诺时限', special: '特别程序',
  basis: '依据', counted: '计入时限', item: '收费项目', standard: '收费标准', address: '地址', hours: '办理时间',
  delivery: '领取方式', fee: '收费', law: '法律法规', article: '条款', scope: '通办范围', regions: '通办地区',
  mode: '通办模式', kind: '类别', windows: '收件窗口', region: '地区', partner_items: '协同事项', q: '问', a: '答', id: '编号',
}

/** "materials[m1].name" → "申请材料 m1 · 名称"; "steps[2].requirement" → "办理流程 第3项 · 办理要求". */
export function pathText(path) {
  return String(path || '')
    .replace(/^guide\./, '')
    .split('.')
    .map((part) => {
      const m = /^([a-z_]+)((?:\[[^\]]+\])*)$/.exec(part)
      if (!m) return part
      const idx = [...m[2].matchAll(/\[([^\]]+)\]/g)].map((x) => (/^\d+$/.test(x[1]) ? `第${Number(x[1]) + 1}项` : x[1]))
      return [FIELDS[m[1]] || m[1], ...idx].join(' ')
    })
    .join(' · ')
}
