// SPDX-License-Identifier: Apache-2.0
// CPSV-AP 3.2.0 validation for the node tests: JSON-LD → RDF (npm `jsonld`, offline: the
// profile's context URL is answered from the local copy) and SHACL (`rdf-validate-shacl`)
// against the profile's shapes in tests/fixtures/cpsv-ap-3.2.0 (copies of ../shared/standards/cpsv-ap-3.2.0; or $CPSV_AP_DIR).
//
//   const v = await cpsvValidator()
//   const { conforms, results } = await v.validate(jsonldDoc)
//   // results: [{ focus, path, message, component }] — empty when it conforms
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(path.join(ROOT, 'web', 'package.json'))
const jsonld = require('jsonld')
const N3 = require('n3')
const DataModel = require('@rdfjs/data-model')
const Dataset = require('@rdfjs/dataset')

/** The folder of the profile's files: $CPSV_AP_DIR, else the repository's test fixture
 * (tests/fixtures/cpsv-ap-3.2.0), else ../shared beside the repository. */
export function standardsDir() {
  if (process.env.CPSV_AP_DIR) return process.env.CPSV_AP_DIR
  const fixture = path.join(ROOT, 'tests', 'fixtures', 'cpsv-ap-3.2.0')
  if (fs.existsSync(path.join(fixture, 'cpsv-ap-SHACL.ttl'))) return fixture
  for (const up of ['..', path.join('..', '..')]) {
    const d = path.resolve(ROOT, up, 'shared', 'standards', 'cpsv-ap-3.2.0')
    if (fs.existsSync(path.join(d, 'cpsv-ap-SHACL.ttl'))) return d
  }
  throw new Error('CPSV-AP 3.2.0 files not found: set CPSV_AP_DIR (../shared/standards/cpsv-ap-3.2.0)')
}

export const CONTEXT_URL =
  'https://semiceu.github.io/uri.semic.eu-generated/CPSV-AP/releases/3.2.0/context/cpsv-ap.jsonld'

const dm = DataModel.default || DataModel
const ds = Dataset.default || Dataset
/** Terms, quads and datasets for the parsers (the validator uses its own environment). */
const factory = {
  namedNode: (v) => dm.namedNode(v),
  blankNode: (v) => dm.blankNode(v),
  literal: (v, l) => dm.literal(v, l),
  variable: (v) => dm.variable(v),
  defaultGraph: () => dm.defaultGraph(),
  quad: (s, p, o, g) => dm.quad(s, p, o, g),
  triple: (s, p, o) => dm.quad(s, p, o),
  dataset: (quads) => ds.dataset(quads),
}

/** Parses Turtle text into an RDF/JS dataset. */
export function parseTurtle(text) {
  const quads = new N3.Parser({ factory }).parse(text)
  return factory.dataset(quads)
}

/** Converts a JSON-LD document to an RDF/JS dataset, its context URL served locally. */
export async function jsonldToDataset(doc, contextText) {
  const documentLoader = async (url) => {
    if (url === CONTEXT_URL) return { contextUrl: null, documentUrl: url, document: JSON.parse(contextText) }
    throw new Error(`no network: refusing to load ${url}`)
  }
  const nquads = await jsonld.toRDF(doc, { format: 'application/n-quads', documentLoader, safe: true })
  return factory.dataset(new N3.Parser({ factory, format: 'N-Quads' }).parse(nquads))
}

/** Loads the shapes once; validate(doc) answers { conforms, results, triples }. */
export async function cpsvValidator() {
  const { default: SHACLValidator } = await import(require.resolve('rdf-validate-shacl'))
  const dir = standardsDir()
  const shapes = parseTurtle(fs.readFileSync(path.join(dir, 'cpsv-ap-SHACL.ttl'), 'utf-8'))
  const contextText = fs.readFileSync(path.join(dir, 'cpsv-ap.jsonld'), 'utf-8')
  const validator = new SHACLValidator(shapes)
  return {
    dir,
    async validate(doc) {
      const data = await jsonldToDataset(doc, contextText)
      const report = await validator.validate(data)
      const results = report.results.map((r) => ({
        focus: r.focusNode?.value,
        path: r.path?.value,
        message: r.message.map((m) => m.value).join(' '),
        component: r.sourceConstraintComponent?.value,
      }))
      return { conforms: report.conforms, results, triples: data.size }
    },
  }
}
