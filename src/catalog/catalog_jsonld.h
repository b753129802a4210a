/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_jsonld: open-data exports of one published service item (issue 18 item 7).
 *
 * Input is the item's detail document, the shape GET /api/v1/service-items/{id} answers
 * ({id, impl_code, codes, item, subitem, task, agency, version, guide}: docs/internals/
 * catalog.md), plus the 一件事 bundles that name the item. Output is
 *   - CPSV-AP 3.2.0 JSON-LD (catalog_jsonld_cpsv): one @graph holding the cpsv:PublicService
 *     and every node it points to, each typed so that the profile's SHACL shapes
 *     (../shared/standards/cpsv-ap-3.2.0/cpsv-ap-SHACL.ttl) report no result, and
 *   - schema.org GovernmentService JSON-LD (catalog_jsonld_schema_org), the light markup
 *     a guide page embeds in <script type="application/ld+json">.
 * Both are pure: no store, no HTTP. Node IRIs are URNs under CATALOG_JSONLD_BASE built
 * from codes that are unique nationally (实施编码, 统一社会信用代码, 行政区划代码), so two
 * exports of the same item give the same graph.
 */
#ifndef QIFU_CATALOG_JSONLD_H
#define QIFU_CATALOG_JSONLD_H

#include <jansson.h>

/* The official context of the profile, named by URL as the profile's example does. */
#define CATALOG_JSONLD_CONTEXT                                                                     \
    "https://semiceu.github.io/uri.semic.eu-generated/CPSV-AP/releases/3.2.0/context/"             \
    "cpsv-ap.jsonld"
/* The prefix of every node IRI of an export. */
#define CATALOG_JSONLD_BASE "urn:qifu:"

/*
 * Returns the CPSV-AP 3.2.0 JSON-LD of the item described by detail (borrowed), as a new
 * object {"@context": [...], "@graph": [...]}. bundles (borrowed, may be NULL) is an array
 * of BUNDLE documents; those with a member of the item's basic_code and task kind become
 * cv:BusinessEvent nodes (isGroupedBy) and their lead and co-departments cv:Participation
 * nodes (hasParticipation). Missing optional parts of the guide are left out; a detail
 * without impl_code or guide still gives a graph (the validator then reports it).
 */
json_t *catalog_jsonld_cpsv(const json_t *detail, const json_t *bundles);

/*
 * Returns the schema.org GovernmentService JSON-LD of the item described by detail
 * (borrowed) as a new object. url (may be NULL) is the public guide page's address.
 */
json_t *catalog_jsonld_schema_org(const json_t *detail, const char *url);

/* Returns the Chinese label of an item type code ("xk" → "行政许可"), or the code itself. */
const char *catalog_jsonld_type_label(const char *type);
/* Returns the Chinese label of a life stage code ("zhunru" → "准入准营"), or the code itself. */
const char *catalog_jsonld_stage_label(const char *stage);

#endif
