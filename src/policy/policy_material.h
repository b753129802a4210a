/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_material: the materials (申报材料) of a policy application — files the applying
 * enterprise uploads while the application waits (submitted, more_info), checked as demand
 * attachments are (demand_attach_check: type from the bytes, name, size), read by the
 * applicant and the reviewing department only (the application's relations owner and
 * issuer; anyone else who may read the application gets 403, a stranger 404). Table
 * application_materials (migration 0021); each upload records the event `attach` on the
 * application's timeline and the audit row application.attach in its transaction.
 */
#ifndef QIFU_POLICY_MATERIAL_H
#define QIFU_POLICY_MATERIAL_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"
#include "../demand/demand_attach.h"

struct conn;
struct principal;

#define POLICY_MATERIAL_MAX_FILES 20

/* Stores a material of application id (*out: its JSON, new). RC_NOTFOUND, RC_FORBIDDEN
 * (not the applicant), RC_STATE (decided or withdrawn; 20 files), RC_TOOLARGE,
 * RC_MEDIATYPE, RC_INVALID naming "name". */
enum rc policy_material_add(struct conn *c, const struct principal *p, int64_t id,
                            const struct demand_attach_new *a, int64_t now, json_t **out,
                            struct err *e) WARN_UNUSED;
/* The materials of application id, oldest first (new array). */
enum rc policy_material_list(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                             struct err *e) WARN_UNUSED;
/* One material with its bytes (release with demand_attach_file_cleanup). */
enum rc policy_material_get(struct conn *c, const struct principal *p, int64_t id, int64_t mid,
                            struct demand_attach_file *f, struct err *e) WARN_UNUSED;

#endif
