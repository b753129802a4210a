// facts.js — the fact catalogue (GET /facts) and the named conditions (GET /conditions).
import { http } from './http.js'

export const catalog = () => http.get('/facts')
export const conditions = () => http.get('/conditions')
