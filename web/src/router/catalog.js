// Routes of the catalogue team's workspace (事项目录管理, issue 18), mounted under /catalog by
// router/index.js; only the catalog role (catalog.write + catalog.review) may open them.
// Paths are relative ('' is /catalog itself); meta as in the other role files. Views live
// in views/catalog/.
import { HomeFilled, Document, DataAnalysis, Search, CollectionTag, Message, Connection } from '@element-plus/icons-vue'

export default [
  {
    path: '',
    name: 'catalog-home',
    component: () => import('@/views/catalog/HomeView.vue'),
    meta: { title: '工作台', menu: true, icon: HomeFilled },
  },
  {
    path: 'items',
    name: 'catalog-items',
    component: () => import('@/views/catalog/ItemsView.vue'),
    meta: { title: '事项与办事指南', menu: true, icon: Document },
  },
  {
    path: 'items/:id',
    name: 'catalog-item',
    component: () => import('@/views/catalog/ItemView.vue'),
    props: true,
    meta: { title: '事项版本', activeMenu: '/catalog/items' },
  },
  {
    path: 'items/:id/versions/:v/edit',
    name: 'catalog-guide-edit',
    component: () => import('@/views/catalog/GuideEditView.vue'),
    props: true,
    meta: { title: '编辑办事指南', activeMenu: '/catalog/items' },
  },
  {
    path: 'items/:id/versions/:v/lint',
    name: 'catalog-guide-lint',
    component: () => import('@/views/catalog/LintView.vue'),
    props: true,
    meta: { title: '指南校验结果', activeMenu: '/catalog/items' },
  },
  {
    path: 'quality',
    name: 'catalog-quality',
    component: () => import('@/views/catalog/QualityView.vue'),
    meta: { title: '指南质量', menu: true, icon: DataAnalysis },
  },
  {
    path: 'cross-region',
    name: 'catalog-cross-region',
    component: () => import('@/views/catalog/CrossRegionView.vue'),
    meta: { title: '跨省通办', menu: true, icon: Connection },
  },
  {
    path: 'zero-results',
    name: 'catalog-zero-results',
    component: () => import('@/views/catalog/ZeroResultsView.vue'),
    meta: { title: '无结果搜索', menu: true, icon: Search },
  },
  {
    path: 'synonyms',
    name: 'catalog-synonyms',
    component: () => import('@/views/catalog/SynonymsView.vue'),
    meta: { title: '同义词', menu: true, icon: CollectionTag },
  },
  {
    path: 'notices',
    name: 'catalog-notices',
    component: () => import('@/views/common/NoticesView.vue'),
    meta: { title: '消息', menu: true, icon: Message },
  },
]
