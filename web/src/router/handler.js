// Routes of the handler workspace (承办工作台), mounted under /handler by router/index.js; only the
// handler role may open them. Paths are relative ('' is /handler itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/handler/.
import { HomeFilled, Bell, Message, OfficeBuilding } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'handler-home',
    component: () => import('@/views/handler/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'inbox',
    name: 'handler-inbox',
    component: () => import('@/views/handler/InboxView.vue'),
    meta: { title: '待办诉求', menu: true, icon: Bell },
  },
  {
    path: 'demands/:id',
    name: 'handler-demand',
    component: () => import('@/views/handler/DemandView.vue'),
    props: true,
    meta: { title: '诉求详情', activeMenu: '/handler/inbox' },
  },
  {
    path: 'notices',
    name: 'handler-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
  {
    path: 'print/demands/:id/:doc',
    name: 'handler-print-demand',
    component: () => import('@/views/common/DemandPrintView.vue'),
    props: true,
    meta: { title: '打印文书', activeMenu: '/handler/inbox' },
  },
  // 企业档案 (一企一档): the registry this user may see (the server decides the scope).
  {
    path: 'enterprises',
    name: 'handler-enterprises',
    component: () => import('@/views/common/RegistryView.vue'),
    meta: { title: '企业档案', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'enterprises/:code',
    name: 'handler-enterprise',
    component: () => import('@/views/common/EnterpriseView.vue'),
    props: true,
    meta: { title: '企业详情', activeMenu: '/handler/enterprises' },
  },
]
