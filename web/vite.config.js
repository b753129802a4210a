// Vite build of the qifu web UI. `npm run build` writes web/dist; the Makefile passes
// --outDir build/<O>/web/dist and embeds the result into the binary (docs/internals/web.md).
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
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
        // Libraries in their own chunks, so a change to a page does not change them.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined
          if (id.includes('/echarts/') || id.includes('/zrender/')) return 'echarts'
          if (id.includes('/element-plus/') || id.includes('/@element-plus/')) return 'element-plus'
          return 'vendor'
        },
      },
    },
  },
  server: {
    // `npm run dev`: the API of a `qifu serve` on the default port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
})
