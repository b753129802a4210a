// todo.js — the caller's to-do counts (GET /me/todo; docs/internals/api.md "To-do counts"):
// { items: [{ key, label, count, list: { path, query } }] }, each count the length of the
// list at path with query. lib/todo.js keeps them and maps each list to a page.
import { http } from './http.js'

export const get = () => http.get('/me/todo')
