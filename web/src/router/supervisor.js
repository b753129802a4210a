// Routes of the supervisor workspace (督办中心), mounted under /supervisor by router/index.js; only the
// supervisor role may open them. Paths are relative ('' is /supervisor itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/supervisor/.
import { HomeFilled, Monitor, DataAnalysis, Message, OfficeBuilding, TrendCharts, Document } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'supervisor-home',
    component: () => import('@/views/supervisor/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'board',
    name: 'supervisor-board',
    component: () => import('@/views/supervisor/BoardView.vue'),
    meta: { title: '督办看板', menu: true, icon: Monitor },
  },
  {
    path: 'stats',
    name: 'supervisor-stats',
    component: () => import('@/views/supervisor/StatsView.vue'),
    meta: { title: '考核统计', menu: true, icon: DataAnalysis },
  },
  {
    path: 'analysis',
    name: 'supervisor-analysis',
    component: () => import('@/views/supervisor/AnalysisView.vue'),
    meta: { title: '分析研判', menu: true, icon: TrendCharts },
  },
  {
    path: 'report',
    name: 'supervisor-report',
    component: () => import('@/views/supervisor/ReportView.vue'),
    meta: { title: '月度报告', menu: true, icon: Document },
  },
  {
    path: 'notice',
    name: 'supervisor-notice',
    component: () => import('@/views/supervisor/NoticeView.vue'),
    meta: { title: '办理情况通报', activeMenu: '/supervisor/analysis' },
  },
  {
    path: 'demands',
    name: 'supervisor-demands',
    component: () => import('@/views/supervisor/DemandsView.vue'),
    meta: { title: '诉求清单', activeMenu: '/supervisor/analysis' },
  },
  {
    path: 'demands/:id',
    name: 'supervisor-demand',
    component: () => import('@/views/supervisor/DemandView.vue'),
    props: true,
    meta: { title: '诉求详情', activeMenu: '/supervisor/board' },
  },
  {
    path: 'notices',
    name: 'supervisor-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
  {
    path: 'print/demands/:id/:doc',
    name: 'supervisor-print-demand',
    component: () => import('@/views/common/DemandPrintView.vue'),
    props: true,
    meta: { title: '打印文书', activeMenu: '/supervisor/board' },
  },
  // 企业档案 (一企一档): the registry this user may see (the server decides the scope).
  {
    path: 'enterprises',
    name: 'supervisor-enterprises',
    component: () => import('@/views/common/RegistryView.vue'),
    meta: { title: '企业档案', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'enterprises/:code',
    name: 'supervisor-enterprise',
    component: () => import('@/views/common/EnterpriseView.vue'),
    props: true,
    meta: { title: '企业详情', activeMenu: '/supervisor/enterprises' },
  },
]
