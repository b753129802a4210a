// progress.js — long actions with visible progress (免申即享 runs, batch operations).
// Pair with <TaskProgress :task="task" />.
//
// A server-side job, polled until done:
//   const task = useLongAction()
//   await task.poll({
//     start: () => policies.startRun(id),                          // first snapshot
//     next: (run) => policies.getRun(id, run.id),                  // a newer snapshot
//     view: (run) => ({ percent: run.total ? 100 * run.done / run.total : null,
//                       text: `已评估 ${run.done} 家企业`, done: run.state !== 'running',
//                       failed: run.state === 'failed' ? '运行失败' : '' }),
//   })
// A batch run in the browser, one request per item:
//   await task.batch(rows, (row) => demands.act(row.id, 'urge', { note }), '催办')
//
// task.state: { running, percent (0..100, null = unknown), text, status ('', 'success',
// 'exception'), error, result, done, failed }. Both return the final result (poll: the last
// snapshot; batch: { done, failed: [{item, error}] }) and never throw: errors land in state.
import { reactive } from 'vue'

export function useLongAction() {
  const state = reactive({ running: false, percent: 0, text: '', status: '', error: '', result: null, done: 0, failed: 0 })
  let cancelled = false

  function reset(text) {
    Object.assign(state, { running: true, percent: 0, text, status: '', error: '', result: null, done: 0, failed: 0 })
    cancelled = false
  }

  async function poll({ start, next, view, interval = 1000, timeoutMs = 60 * 60 * 1000 }) {
    reset('正在启动…')
    const started = Date.now()
    try {
      let snap = await start()
      for (;;) {
        const v = view(snap)
        state.percent = v.percent === null || v.percent === undefined ? null : Math.max(0, Math.min(100, v.percent))
        state.text = v.text || ''
        state.result = snap
        if (v.failed) throw new Error(v.failed)
        if (v.done) break
        if (cancelled) throw new Error('已停止跟踪进度（后台任务仍在运行）')
        if (Date.now() - started > timeoutMs) throw new Error('等待超时，请稍后刷新查看结果')
        await new Promise((r) => setTimeout(r, interval))
        snap = await next(snap)
      }
      state.percent = 100
      state.status = 'success'
      return snap
    } catch (e) {
      state.status = 'exception'
      state.error = e.message || '操作失败'
      return state.result
    } finally {
      state.running = false
    }
  }

  async function batch(items, fn, verb = '处理') {
    reset(`正在${verb}…`)
    const failed = []
    for (let i = 0; i < items.length && !cancelled; i++) {
      try {
        await fn(items[i], i)
        state.done++
      } catch (e) {
        failed.push({ item: items[i], error: e })
        state.failed++
      }
      state.percent = Math.round((100 * (i + 1)) / items.length)
      state.text = `已${verb} ${i + 1} / ${items.length}${failed.length ? `，失败 ${failed.length}` : ''}`
    }
    state.running = false
    state.status = failed.length ? 'exception' : 'success'
    if (failed.length) state.error = `${failed.length} 项${verb}失败：${failed[0].error.message || ''}`
    state.result = { done: state.done, failed }
    return state.result
  }

  function cancel() {
    cancelled = true
  }

  return { state, poll, batch, cancel }
}
