// demandText.js — pieces shared by the enterprise's demand pages: categories (GET /categories,
// a tree) with a code → name map, urgencies, ratings, attachment upload.
import * as attachments from '@/api/attachments.js'
import * as categories from '@/api/categories.js'

export const URGENCY = { normal: '一般', urgent: '紧急', critical: '特急' }
export const RATINGS = [
  { value: 5, label: '非常满意' },
  { value: 4, label: '满意' },
  { value: 3, label: '基本满意' },
  { value: 2, label: '不满意' },
  { value: 1, label: '非常不满意' },
]
export const ATTACH_ACCEPT = '.pdf,.png,.jpg,.jpeg,.gif,.ofd,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.wps,.et,.dps,.txt,.csv'
export const ATTACH_MAX = 10 * 1024 * 1024

let cats = null
/** { tree (el-cascader options), names: code -> name }. */
export function loadCategories() {
  if (!cats) {
    cats = categories.list().then((r) => {
      const names = {}
      const walk = (list) =>
        list.filter((c) => c.active !== false).map((c) => {
          names[c.code] = c.name
          const kids = walk(c.children || [])
          return { value: c.code, label: c.name, children: kids.length ? kids : undefined }
        })
      return { tree: walk(r.items || []), names }
    })
    cats.catch(() => (cats = null))
  }
  return cats
}

/** Uploads one file to a demand (raw body, ?name=); resolves with the attachment. */
export const uploadAttachment = (demandId, file) => attachments.upload(demandId, file)

export const attachmentUrl = attachments.url

export { fmtFileSize as fmtSize } from '@/lib/format.js'
