// The web UI's entry: Vue 3 + Element Plus (zh-CN) + vue-router. See web/README.md.
// Element Plus components are imported on demand (vite.config.js, unplugin-vue-components):
// only the global configuration (the zh-CN locale) and the CSS of the functions called
// from scripts (ElMessage, ElMessageBox) are set up here.
import { createApp } from 'vue'
import { ElMessage, provideGlobalConfig } from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles.css'
import App from './App.vue'
import router from './router/index.js'
import { onUnauthorized } from './api/http.js'
import { forget } from './lib/session.js'

// A 401 anywhere (session expired, logged out elsewhere): back to the login page.
onUnauthorized(() => {
  const current = router.currentRoute.value
  forget()
  if (current.name !== 'login') {
    ElMessage.warning('登录已过期，请重新登录')
    router.replace({ name: 'login', query: { redirect: current.fullPath } })
  }
})

const app = createApp(App)
// The locale for everything, including ElMessageBox opened from a script.
provideGlobalConfig({ locale: zhCn }, app, true)
app.use(router).mount('#app')
