// Pages anyone may open without logging in (e.g. a public 政策超市). Each route gets
// meta.public = true from router/index.js. Components live in views/public/.
export default [
  {
    path: '/policies',
    component: () => import('@/views/public/PublicLayout.vue'),
    children: [
      { path: '', name: 'public-policies', component: () => import('@/views/public/PoliciesView.vue'),
        meta: { title: '政策超市' } },
      { path: ':id', name: 'public-policy', component: () => import('@/views/public/PolicyView.vue'), props: true,
        meta: { title: '政策详情' } },
    ],
  },
  {
    path: '/calculator',
    component: () => import('@/views/public/PublicLayout.vue'),
    children: [
      { path: '', name: 'public-calculator', component: () => import('@/views/public/CalculatorView.vue'),
        meta: { title: '政策计算器' } },
    ],
  },
  {
    // 一次性告知单 of a guide (issue 18 item 2): the 情形 answers in the query, printable.
    path: '/guide/items/:id/notice',
    name: 'public-guide-notice',
    component: () => import('@/views/public/GuideNoticeView.vue'),
    props: true,
    meta: { title: '一次性告知单' },
  },
  {
    // 办事指南 (issue 18): browse and search the service catalogue, a guide, a 一件事.
    path: '/guide',
    component: () => import('@/views/public/PublicLayout.vue'),
    children: [
      { path: '', name: 'public-guide', component: () => import('@/views/public/GuideHomeView.vue'),
        meta: { title: '办事指南' } },
      { path: 'items/:id', name: 'public-guide-item', component: () => import('@/views/public/GuideView.vue'), props: true,
        meta: { title: '办事指南' } },
      // /guide/{id}: the page address the server's schema.org markup and 告知单 QR codes use.
      { path: ':id(\\d+)', redirect: (to) => `/guide/items/${to.params.id}` },
      { path: 'bundles/:code', name: 'public-guide-bundle', component: () => import('@/views/public/GuideBundleView.vue'),
        props: true, meta: { title: '一件事' } },
    ],
  },
]
