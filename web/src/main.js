// The web UI's entry: Vue 3 + Element Plus (zh-CN) + vue-router. See web/README.md.
import { createApp } from 'vue'
import ElementPlus, { ElMessage } from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
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

createApp(App).use(ElementPlus, { locale: zhCn }).use(router).mount('#app')
