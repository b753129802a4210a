// Routes of the policy_officer workspace (政策管理), mounted under /officer by router/index.js; only the
// policy_officer role may open them. Paths are relative ('' is /officer itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/officer/.
import { DataAnalysis, Document, HomeFilled, Money, Stamp, Message, OfficeBuilding } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'officer-home',
    component: () => import('@/views/officer/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'policies',
    name: 'officer-policies',
    component: () => import('@/views/officer/PoliciesView.vue'),
    meta: { title: '政策管理', menu: true, icon: Document },
  },
  {
    path: 'policies/new',
    name: 'officer-policy-new',
    component: () => import('@/views/officer/PolicyEditView.vue'),
    meta: { title: '起草政策', activeMenu: '/officer/policies' },
  },
  {
    path: 'policies/:id',
    name: 'officer-policy',
    component: () => import('@/views/officer/PolicyView.vue'),
    props: true,
    meta: { title: '政策详情', activeMenu: '/officer/policies' },
  },
  {
    path: 'policies/:id/edit',
    name: 'officer-policy-edit',
    component: () => import('@/views/officer/PolicyEditView.vue'),
    props: true,
    meta: { title: '编辑政策', activeMenu: '/officer/policies' },
  },
  {
    path: 'applications',
    name: 'officer-applications',
    component: () => import('@/views/officer/ApplicationsView.vue'),
    meta: { title: '申请审核', menu: true, icon: Stamp },
  },
  {
    path: 'grants',
    name: 'officer-grants',
    component: () => import('@/views/officer/GrantsView.vue'),
    meta: { title: '兑现管理', menu: true, icon: Money },
  },
  {
    path: 'stats',
    name: 'officer-stats',
    component: () => import('@/views/officer/StatsView.vue'),
    meta: { title: '兑现统计', menu: true, icon: DataAnalysis },
  },
  {
    path: 'notices',
    name: 'officer-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
  {
    path: 'print/grants/:id',
    name: 'officer-print-grant',
    component: () => import('@/views/common/GrantPrintView.vue'),
    props: true,
    meta: { title: '政策兑现通知', activeMenu: '/officer/grants' },
  },
  // 企业档案 (一企一档): the registry this user may see (the server decides the scope).
  {
    path: 'enterprises',
    name: 'officer-enterprises',
    component: () => import('@/views/common/RegistryView.vue'),
    meta: { title: '企业档案', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'enterprises/:code',
    name: 'officer-enterprise',
    component: () => import('@/views/common/EnterpriseView.vue'),
    props: true,
    meta: { title: '企业详情', activeMenu: '/officer/enterprises' },
  },
]
