// The route table. Each role's pages are declared in that role's own file
// (router/enterprise.js, clerk.js, handler.js, supervisor.js, officer.js, admin.js), so
// pages of different roles are added without touching the same file. Public pages
// (no login) go in router/public.js. See web/README.md "Adding a page".
import { createRouter, createWebHistory } from 'vue-router'
import { ElMessage } from 'element-plus'
import LoginView from '@/views/LoginView.vue'
import { ROLES } from '@/lib/roles.js'
import { session, loadSession, homeOf, mayHaveSession } from '@/lib/session.js'
import publicRoutes from './public.js'
import enterprise from './enterprise.js'
import clerk from './clerk.js'
import handler from './handler.js'
import supervisor from './supervisor.js'
import officer from './officer.js'
import admin from './admin.js'
import catalog from './catalog.js'

const byFile = { enterprise, clerk, handler, supervisor, officer, admin, catalog }

// 我的账户 (change one's own password) exists in every role's workspace, at <base>/account.
const accountRoute = (role) => ({
  path: 'account',
  name: `${role}-account`,
  component: () => import('@/views/common/AccountView.vue'),
  meta: { title: '我的账户' },
})

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: '登录' } },
  ...publicRoutes.map((r) => ({ ...r, meta: { ...(r.meta || {}), public: true } })),
  ...Object.entries(ROLES).map(([role, r]) => ({
    path: r.base,
    component: () => import('@/layouts/RoleLayout.vue'), // lazy: the login page does not load it
    meta: { role },
    children: [...byFile[r.file], accountRoute(role)],
  })),
  { path: '/', name: 'root', redirect: () => (session.user ? homeOf(session.user.role) : '/login') },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/NotFound.vue'),
    meta: { public: true, title: '页面不存在' },
  },
]

const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

// Role guard: a page of a role opens only for that role; anyone else goes home.
router.beforeEach(async (to) => {
  // A public page asks /me only when this browser may hold a session (lib/session.js).
  if (!session.loaded && (!to.meta.public || mayHaveSession())) {
    try {
      await loadSession()
    } catch {
      /* the server is unreachable: treat as logged out; the login page says so on submit */
    }
  }
  const user = session.user
  if (to.name === 'login' && user) return homeOf(user.role)
  if (to.meta.public) return true
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  const owner = to.matched.map((r) => r.meta.role).find(Boolean)
  if (owner && owner !== user.role) {
    ElMessage.warning('当前角色无权访问该页面，已返回工作台')
    return homeOf(user.role)
  }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 企服` : '企服 · 企业服务平台'
})

export default router
