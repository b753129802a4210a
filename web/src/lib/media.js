// media.js — useNarrow(): true while the window is a phone's width (≤ 768 px).
import { ref, onMounted, onBeforeUnmount } from 'vue'

export const NARROW_QUERY = '(max-width: 768px)'

export function useNarrow(query = NARROW_QUERY) {
  const mq = window.matchMedia(query)
  const narrow = ref(mq.matches)
  const update = () => (narrow.value = mq.matches)
  onMounted(() => mq.addEventListener('change', update))
  onBeforeUnmount(() => mq.removeEventListener('change', update))
  return narrow
}
