// Routes of the enterprise workspace (企业服务), mounted under /enterprise by router/index.js; only the
// enterprise role may open them. Paths are relative ('' is /enterprise itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/enterprise/.
import { HomeFilled, Medal, Wallet, ChatDotRound, OfficeBuilding, Bell, Goods } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'enterprise-home',
    component: () => import('@/views/enterprise/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'policies',
    name: 'enterprise-policies',
    component: () => import('@/views/enterprise/PoliciesView.vue'),
    meta: { title: '我的政策', menu: true, icon: Medal },
  },
  {
    path: 'grants',
    name: 'enterprise-grants',
    component: () => import('@/views/enterprise/GrantsView.vue'),
    meta: { title: '申请与兑现', menu: true, icon: Wallet },
  },
  {
    path: 'demands',
    name: 'enterprise-demands',
    component: () => import('@/views/enterprise/DemandsView.vue'),
    meta: { title: '我的诉求', menu: true, icon: ChatDotRound },
  },
  {
    path: 'demands/new',
    name: 'enterprise-demand-new',
    component: () => import('@/views/enterprise/DemandNewView.vue'),
    meta: { title: '提交诉求', activeMenu: '/enterprise/demands' },
  },
  {
    path: 'demands/:id',
    name: 'enterprise-demand',
    component: () => import('@/views/enterprise/DemandView.vue'),
    props: true,
    meta: { title: '诉求详情', activeMenu: '/enterprise/demands' },
  },
  {
    path: 'profile',
    name: 'enterprise-profile',
    component: () => import('@/views/enterprise/ProfileView.vue'),
    meta: { title: '企业信息', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'notices',
    name: 'enterprise-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Bell },
  },
  {
    path: 'supermarket',
    name: 'enterprise-supermarket',
    redirect: '/policies',
    meta: { title: '政策超市', menu: true, icon: Goods },
  },
  {
    path: 'print/grants/:id',
    name: 'enterprise-print-grant',
    component: () => import('@/views/common/GrantPrintView.vue'),
    props: true,
    meta: { title: '政策兑现通知', activeMenu: '/enterprise/grants' },
  },
]
