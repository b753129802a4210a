// cardTable.js — v-card-table: an el-table that becomes a list of cards on a phone.
//
//   <el-table v-card-table :data="rows">
//     <el-table-column prop="title" label="标题" class-name="card-title" />   <!-- the card's heading -->
//     <el-table-column prop="no" label="编号" class-name="card-hide" />       <!-- not on a phone -->
//     <el-table-column prop="state" label="状态" />                            <!-- a "状态：…" line -->
//   </el-table>
//
// While NARROW_QUERY (lib/media.js, ≤ 768 px) matches, the table's element gets the attribute
// data-cards (styles.css): the header is hidden, each row is a card whose cells wrap, a
// cell of class card-title leads the card in bold, card-hide cells are left out, card-meta
// cells show without their label, and every other cell shows its column's label before it
// (data-label, copied from the header here after each render). At desktop widths the
// table is left alone. PagedTable applies it to every list.
import { NARROW_QUERY } from './media.js'

const COLUMN_CLASS = /^el-table_\d+_column_\d+$/

// Copies each header cell's text to the body cells of its column (data-label).
function label(el) {
  const heads = el.querySelectorAll('.el-table__header-wrapper th')
  for (const th of heads) {
    const cls = [...th.classList].find((c) => COLUMN_CLASS.test(c))
    if (!cls) continue
    const text = th.textContent.trim()
    for (const td of el.querySelectorAll(`.el-table__body-wrapper td.${cls}`)) {
      if (td.dataset.label !== text) td.dataset.label = text
    }
  }
}

export const vCardTable = {
  mounted(el) {
    const mq = window.matchMedia(NARROW_QUERY)
    let frame = 0
    const relabel = () => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        if (mq.matches) label(el)
      })
    }
    const update = () => {
      // An attribute, not a class: Vue rewrites the component's class on every render.
      if (mq.matches) el.setAttribute('data-cards', '')
      else el.removeAttribute('data-cards')
      relabel()
    }
    const observer = new MutationObserver(relabel)
    observer.observe(el, { childList: true, subtree: true })
    mq.addEventListener('change', update)
    update()
    el._cardTable = { mq, update, observer, cancel: () => frame && cancelAnimationFrame(frame) }
  },
  unmounted(el) {
    const s = el._cardTable
    if (!s) return
    s.mq.removeEventListener('change', s.update)
    s.observer.disconnect()
    s.cancel()
    delete el._cardTable
  },
}
