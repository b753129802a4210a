// form.js — forms that show the server's Chinese field errors next to the field and
// keep what the user typed when a request fails.
//
//   <el-form ref="formRef" :model="model" :rules="rules" label-width="auto">
//     <el-form-item label="企业名称" prop="name" :error="errors.name">
//       <el-input v-model="model.name" />
//     </el-form-item>
//     <el-alert v-if="formError" :title="formError" type="error" show-icon :closable="false" />
//     <el-button type="primary" :loading="submitting" @click="submit">提交</el-button>
//   </el-form>
//
//   const model = reactive({ name: '' })
//   const { formRef, errors, formError, submitting, run } = useServerForm()
//   const submit = () => run(() => orgs.create(model, key), { success: '已保存' })
//
// run(fn): validates the el-form (its :rules) first, then calls fn. On an ApiError with
// a field, errors[field] is set ("facts[2].value" is also reported under "facts" when
// no item shows the full name: see errorOf) and the field scrolls into view; other
// errors land in formError and a message box. The model is never reset on failure.
// Resolves with fn's result, or undefined when validation or the request failed.
import { reactive, ref, nextTick } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/http.js'

export function useServerForm() {
  const formRef = ref(null)
  const errors = reactive({})
  const formError = ref('')
  const submitting = ref(false)

  function clearErrors() {
    for (const k of Object.keys(errors)) errors[k] = ''
    formError.value = ''
  }

  /** The message for a field or any of its sub-fields ("facts" matches "facts[2].value"). */
  function errorOf(field) {
    if (errors[field]) return errors[field]
    for (const [k, v] of Object.entries(errors)) {
      if (v && (k.startsWith(field + '.') || k.startsWith(field + '['))) return v
    }
    return ''
  }

  /** Shows err (an ApiError or anything else) on the form. */
  async function showError(err) {
    if (err instanceof ApiError && err.field) {
      errors[err.field] = err.message
      const root = err.field.split(/[.[]/)[0]
      if (root !== err.field && !errors[root]) errors[root] = err.message
      await nextTick()
      const el = formRef.value && formRef.value.$el
      const item = el && el.querySelector('.el-form-item.is-error')
      if (item && item.scrollIntoView) item.scrollIntoView({ block: 'center', behavior: 'smooth' })
      return
    }
    const msg = err instanceof ApiError ? err.message : '操作失败，请稍后重试'
    formError.value = msg
    ElMessage.error(msg)
    if (!(err instanceof ApiError)) console.warn(err) // eslint-disable-line no-console
  }

  async function run(fn, opts = {}) {
    if (submitting.value) return undefined
    clearErrors()
    if (formRef.value && !opts.skipValidate) {
      try {
        await formRef.value.validate()
      } catch {
        return undefined
      }
    }
    submitting.value = true
    try {
      await nextTick()
      const result = await fn()
      if (opts.success) ElMessage.success(opts.success)
      return result
    } catch (err) {
      await showError(err)
      return undefined
    } finally {
      submitting.value = false
    }
  }

  return { formRef, errors, formError, submitting, run, clearErrors, showError, errorOf }
}
