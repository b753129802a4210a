// Routes of the clerk workspace (受理台), mounted under /clerk by router/index.js; only the
// clerk role may open them. Paths are relative ('' is /clerk itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/clerk/.
import { HomeFilled, Tickets, EditPen, Message, UploadFilled, OfficeBuilding } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'clerk-home',
    component: () => import('@/views/clerk/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'intake',
    name: 'clerk-intake',
    component: () => import('@/views/clerk/IntakeView.vue'),
    meta: { title: '受理台', menu: true, icon: Tickets },
  },
  {
    path: 'entry',
    name: 'clerk-entry',
    component: () => import('@/views/clerk/EntryView.vue'),
    meta: { title: '代录诉求', menu: true, icon: EditPen },
  },
  {
    path: 'demands/:id',
    name: 'clerk-demand',
    component: () => import('@/views/clerk/DemandView.vue'),
    props: true,
    meta: { title: '诉求详情', activeMenu: '/clerk/intake' },
  },
  {
    path: 'notices',
    name: 'clerk-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
  {
    path: 'import',
    name: 'clerk-import',
    component: () => import('@/views/common/ImportView.vue'),
    props: { kind: 'demands' },
    meta: { title: '工单导入', menu: true, icon: UploadFilled },
  },
  {
    path: 'print/demands/:id/:doc',
    name: 'clerk-print-demand',
    component: () => import('@/views/common/DemandPrintView.vue'),
    props: true,
    meta: { title: '打印文书', activeMenu: '/clerk/intake' },
  },
  // 企业档案 (一企一档): the registry this user may see (the server decides the scope).
  {
    path: 'enterprises',
    name: 'clerk-enterprises',
    component: () => import('@/views/common/RegistryView.vue'),
    meta: { title: '企业档案', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'enterprises/:code',
    name: 'clerk-enterprise',
    component: () => import('@/views/common/EnterpriseView.vue'),
    props: true,
    meta: { title: '企业详情', activeMenu: '/clerk/enterprises' },
  },
]
