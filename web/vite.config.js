// Vite build of the qifu web UI. `npm run build` writes web/dist; the Makefile passes
// --outDir build/<O>/web/dist and embeds the result into the binary (docs/internals/web.md).
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus on demand: each <el-xxx> in a template (and v-loading) imports that
    // component and its CSS only, into the chunk of the page that uses it, so the login
    // page does not carry the tables, trees and date pickers of the workspaces. Functions
    // (ElMessage, ElMessageBox) are imported by name; main.js imports their CSS.
    Components({
      resolvers: [ElementPlusResolver({ importStyle: 'css', directives: true })],
      dts: false,
      dirs: [], // our own components are imported explicitly
    }),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets', // hashed names: the server sends them as immutable
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // ECharts in its own chunk (loaded by ChartBox on chart pages only). Element Plus is
        // not forced into one chunk any more: Rollup puts each component with the pages
        // that use it (shared ones in shared chunks).
        manualChunks(id) {
          if (id.includes('/echarts/') || id.includes('/zrender/')) return 'echarts'
          if (id.endsWith('/src/lib/initials.json')) return 'initials'
          return undefined
        },
      },
    },
  },
  server: {
    // `npm run dev`: the API of a `qifu serve` on the default port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
})
