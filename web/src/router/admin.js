// Routes of the admin workspace (系统管理), mounted under /admin by router/index.js; only the
// admin role may open them. Paths are relative ('' is /admin itself). meta.title names
// the page; meta.menu: true puts it into the side menu, in the order of this array, with
// meta.icon (a component from @element-plus/icons-vue). Detail pages leave menu off and
// may set meta.activeMenu to the menu path to highlight. Views live in views/admin/.
import { Calendar, Collection, HomeFilled, Key, OfficeBuilding, User, Message, UploadFilled } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'admin-home',
    component: () => import('@/views/admin/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'users',
    name: 'admin-users',
    component: () => import('@/views/admin/UsersView.vue'),
    meta: { title: '用户管理', menu: true, icon: User },
  },
  {
    path: 'apikeys',
    name: 'admin-apikeys',
    component: () => import('@/views/admin/ApiKeysView.vue'),
    meta: { title: 'API 密钥', menu: true, icon: Key },
  },
  {
    path: 'orgs',
    name: 'admin-orgs',
    component: () => import('@/views/admin/OrgsView.vue'),
    meta: { title: '组织机构', menu: true, icon: OfficeBuilding },
  },
  {
    path: 'categories',
    name: 'admin-categories',
    component: () => import('@/views/admin/CategoriesView.vue'),
    meta: { title: '诉求类别与时限', menu: true, icon: Collection },
  },
  {
    path: 'calendar',
    name: 'admin-calendar',
    component: () => import('@/views/admin/CalendarView.vue'),
    meta: { title: '工作日历', menu: true, icon: Calendar },
  },
  {
    path: 'notices',
    name: 'admin-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
  {
    path: 'import',
    name: 'admin-import',
    component: () => import('@/views/common/ImportView.vue'),
    props: { kind: 'enterprises' },
    meta: { title: '企业导入', menu: true, icon: UploadFilled },
  },
]
