/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the migrations as the binary carries them: each migration is written
 * once (src/store/migrations/NNNN_name.sql) and tools/embed expands it per backend
 * (docs/internals/store.md "Migrations").
 *
 * A migration that has shipped must never change what it does, since databases that
 * applied it record only its version. So every shipped migration's expansion for each
 * backend is pinned here by the SHA-256 of its text without whole-line comments
 * ("--" first on the line): a comment may be reworded, nothing else. The hashes of
 * 0001-0014 were taken from the two hand-written copies (src/store/migrations/sqlite/
 * and pg/) the single source replaced, so these tests also prove that the expansion
 * gives each backend exactly the SQL it had before.
 *
 * When a migration ships, add its row (the failure message prints the hashes).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "unit.h"

static const struct shipped {
    int version;
    const char *sqlite, *pg; /* SHA-256 of the expansion without comment lines */
} shipped[] = {
    {1, "96f367e37cb9d70aebe504b4d6b5e262f54507877ce477366803d9cdb6c1999c",
     "8a8695aa9b3d1037a534a395aef5912be97ede3be8b904cad423c7e1ac7d40e9"},
    {2, "ebced2fc23c6ddd8f5603d4179c3ef0c50a89649320e746d1b2680cbce0d5b83",
     "8b670b73b43230b4dd38adb2836b8e9abb5d672a84c6eb5a5bc24651f696d3ac"},
    {3, "c0814f5e2519c4d5fec98a277aba8bfeda281c5cf16394b814483cae8161b659",
     "019b37931f0c3fd506be1e7a2bfc5f1724999569c39118c72bdfc18f82862c0b"},
    {4, "889e9d65ffe1dff47f07cda9bd8e3bf428d6dc3b12358ead5d15d7b167a68d10",
     "d3139c3ecafd4d2a969a85af93d395fd676366b7a1b447a23b6bbbdf1b8b88d9"},
    {5, "2cafaf68154b54622a1d739272d46dfb9d1134cb81dbeafd7f05ecf59f35df37",
     "aaadebb907771c5605118d92613d30010705ff49093e84b0cef31487b59a90b1"},
    {6, "9341605b95a46aa860139eb81be055dce6008559590c163b9de3391fa876f895",
     "88ad013082beaefe2debe9550a00cff47b2c47ca1f5d2f10578547bf6648687c"},
    {7, "4e07c3ffe9498be5125f9169f0990c0ee5721dde82922c943ea7a0503464717f",
     "4e07c3ffe9498be5125f9169f0990c0ee5721dde82922c943ea7a0503464717f"},
    {8, "827395b84e4b594739dd346849b11824220f94f8fd4e1e7d10da4b77b7b6fb81",
     "827395b84e4b594739dd346849b11824220f94f8fd4e1e7d10da4b77b7b6fb81"},
    {9, "b3022d93f691724d6802204e8dcae493f5dffaaee2de04ecfbccf431aa5309b1",
     "b3022d93f691724d6802204e8dcae493f5dffaaee2de04ecfbccf431aa5309b1"},
    {10, "d5a141d49b12bd52d19261ff17a9aa367d6063e9f5f674a5c37906d7f34aeb83",
     "d5a141d49b12bd52d19261ff17a9aa367d6063e9f5f674a5c37906d7f34aeb83"},
    {11, "60d4b30d903ebc8f2be56dfd3af5604f011e206bcc03e6ae0a327aa8ee17d5a1",
     "dad17714d56a968540c2b77dacb7c12b1625e73476bc99b3036fe8928798c6d1"},
    {12, "090611fd957f4621a505ed66358976856518ed6875f5d20ed36fd1f3413a48a9",
     "090611fd957f4621a505ed66358976856518ed6875f5d20ed36fd1f3413a48a9"},
    {13, "c6005922d461aa1b5c5f2670c4ba56be488d1d9cbec0e68cc7d06f1abbf82332",
     "bba4d1bd55a625082c76e2b4bf6574a6adc71d2d9bf4e1cdb80e5857c0b7643c"},
    {14, "e68752bdf92de87df5b1a86f63f66e5b0e4ed662647eb4c6291b70491b60458f",
     "053d09d687de065e008ffd37fd1f2b0631cb880529abbda217b725707db1ad8c"},
    {15, "f7185afe120d08dd9ee480d9086cf6d8c2eccfc9015ad47be83d128dc791fb2b",
     "2d2b0b5b096af01e4697c548841ec5d0050bff2ad3deb1abca61b5553dbfb636"},
    {16, "dadd84d6939d3f111a137bd624620d1bb3b4040f5b1b051ccea71c53f70bd4b8",
     "8329d75e21e0d45f55fdc2e98d035b178af8f40bc98c4691b9f51d31bf403d6c"},
    {17, "79cb8427fba8c7415ffd8f0c994a904afd9c1ed0687e40a48e448b69cf75f79a",
     "79cb8427fba8c7415ffd8f0c994a904afd9c1ed0687e40a48e448b69cf75f79a"},
    {18, "503b1dd3755c95dfc6f41a6edaab664168ecd5172f99913d95620d182ccf169c",
     "503b1dd3755c95dfc6f41a6edaab664168ecd5172f99913d95620d182ccf169c"},
    {19, "dfd21cd067d0391e8367545343db3d3f239f671538bc0b63b5ba1d318e69ed97",
     "8c6420b7df7db79daee25f68a2d7185fe44cbcaaa6984828ac4ba959c7b1f2f5"},
    {20, "e9aec071333d87704ef15f14ebc05745740b80f01eccf704454588bfaca102c0",
     "e9aec071333d87704ef15f14ebc05745740b80f01eccf704454588bfaca102c0"},
    {21, "18f72941611375deecdcba14b8847622db22520dd864eaec0c39c3a4a5deea3d",
     "ca1a04dc5249f7886f43d99f3a756f134714fac29bf1419c506ef452d45474b9"},
    {22, "3f73ec006302bedd44b2faf478653ffbcd54b921ab746509f25f167b5458711d",
     "91b85cf96ae5a14adae24fe1b14bf93aaa5920d7514119d781c149bfc6160128"},
};

/* Writes the SHA-256, in hex, of sql without its whole-line comments into hex. */
static void code_hash(const char *sql, char hex[65])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (const char *line = sql; *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl + 1 : line + strlen(line);
        const char *p = line;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (!(end - p >= 2 && p[0] == '-' && p[1] == '-')) {
            crypto_hash_sha256_update(&st, (const unsigned char *)line,
                                      (unsigned long long)(end - line));
            if (!nl)
                crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
        }
        line = end;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* Both backends carry the same migrations: the same versions and names, in order. */
START_TEST(same_list)
{
    ck_assert_int_eq(store__n_sqlite_migrations, store__n_pg_migrations);
    for (int i = 0; i < store__n_sqlite_migrations; i++) {
        ck_assert_int_eq(store__sqlite_migrations[i].version, i + 1);
        ck_assert_int_eq(store__pg_migrations[i].version, i + 1);
        ck_assert_str_eq(store__sqlite_migrations[i].name, store__pg_migrations[i].name);
    }
}
END_TEST

/* No dialect token or section marker survives the expansion. */
START_TEST(fully_expanded)
{
    const struct store_migration *lists[] = {store__sqlite_migrations, store__pg_migrations};
    const int counts[] = {store__n_sqlite_migrations, store__n_pg_migrations};
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < counts[b]; i++) {
            const char *sql = lists[b][i].sql;
            ck_assert_msg(!strstr(sql, "{{") && !strstr(sql, "-- @"),
                          "migration %04d_%s still holds a token or marker", lists[b][i].version,
                          lists[b][i].name);
        }
}
END_TEST

/* Every shipped migration expands, for each backend, to the SQL it has always had. */
START_TEST(shipped_unchanged)
{
    int n = (int)(sizeof(shipped) / sizeof(shipped[0]));
    ck_assert_int_ge(store__n_sqlite_migrations, n);
    ck_assert_int_ge(store__n_pg_migrations, n);
    for (int i = 0; i < n; i++) {
        char lite[65], pg[65];
        code_hash(store__sqlite_migrations[i].sql, lite);
        code_hash(store__pg_migrations[i].sql, pg);
        ck_assert_int_eq(store__sqlite_migrations[i].version, shipped[i].version);
        ck_assert_msg(strcmp(lite, shipped[i].sqlite) == 0 && strcmp(pg, shipped[i].pg) == 0,
                      "migration %04d_%s has changed since it shipped (SQLite %s, PostgreSQL %s);"
                      " add a new migration instead",
                      shipped[i].version, store__sqlite_migrations[i].name, lite, pg);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("migrations");
    TCase *tc = tcase_create("embedded");
    tcase_add_test(tc, same_list);
    tcase_add_test(tc, fully_expanded);
    tcase_add_test(tc, shipped_unchanged);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
