/* Noise rules and the dictionary of censored words.
 *
 * The defaults are compiled into the library (tools/embed.py embeds
 * data/noise-rules.json and data/censored.tsv) and built once, on first use,
 * under pthread_once. A st_rules is read-only once built: compiled PCRE2
 * patterns (and their JIT code) may be used by any number of threads, each
 * with its own match data (clean.c makes one per document).
 *
 * File formats: docs/NOISE.md. */
#include "rules.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

extern const char st_default_noise_rules[];
extern const size_t st_default_noise_rules_len;
extern const char st_default_dictionary[];
extern const size_t st_default_dictionary_len;

/* ---- small helpers ---- */

static char *st_xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void st_rules_error(st_error *err, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void st_rules_error(st_error *err, const char *file, size_t line, const char *fmt, ...)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->status = ST_ERR_RULES;
    err->line = line;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        snprintf(err->message, sizeof err->message, "%s:%zu: %s", file, line, msg);
    else
        snprintf(err->message, sizeof err->message, "%s: %s", file, msg);
}

static size_t st_line_at(const char *text, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++) line += text[i] == '\n';
    return line;
}

/* ---- dictionary ---- */

static uint64_t st_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void st_dict_rehash(st_rules *r, size_t size)
{
    free(r->table);
    r->table = calloc(size, sizeof *r->table);
    if (!r->table) abort();
    r->table_size = size;
    for (size_t i = 0; i < r->word_count; i++) {
        size_t h = st_hash(r->words[i].word, r->words[i].len) & (size - 1);
        while (r->table[h]) h = (h + 1) & (size - 1);
        r->table[h] = (uint32_t)i + 1;
    }
}

const st_dict_word *st_dict_lookup(const st_rules *r, const char *lower, size_t len)
{
    if (!r->table_size || len > r->max_word_len) return NULL;
    size_t h = st_hash(lower, len) & (r->table_size - 1);
    while (r->table[h]) {
        const st_dict_word *w = &r->words[r->table[h] - 1];
        if (w->len == len && memcmp(w->word, lower, len) == 0) return w;
        h = (h + 1) & (r->table_size - 1);
    }
    return NULL;
}

/* Adds or replaces (a later file overrides an earlier one). */
static void st_dict_put(st_rules *r, const char *word, size_t len, const char *exp, size_t exp_len)
{
    char lower[64];
    for (size_t i = 0; i < len; i++) lower[i] = (char)(word[i] | 0x20);
    st_dict_word *old = (st_dict_word *)st_dict_lookup(r, lower, len);
    if (old) {
        free(old->expansion);
        old->expansion = st_xstrndup(exp, exp_len);
        return;
    }
    st_dict_word *w = ST_PUSH(r->words, r->word_count, r->word_cap);
    w->word = st_xstrndup(lower, len);
    w->len = len;
    w->expansion = st_xstrndup(exp, exp_len);
    if (len > r->max_word_len) r->max_word_len = len;
    r->word_lens[lower[0] - 'a'] |= 1ull << len;
    if (r->word_count * 2 > r->table_size) st_dict_rehash(r, r->table_size ? r->table_size * 2 : 64);
    else {
        size_t h = st_hash(w->word, len) & (r->table_size - 1);
        while (r->table[h]) h = (h + 1) & (r->table_size - 1);
        r->table[h] = (uint32_t)r->word_count;
    }
}

static bool st_is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* TSV: word<TAB>expansion; blank lines and lines starting with # ignored. */
static int st_load_dictionary(st_rules *r, const char *text, size_t len, const char *file, st_error *err)
{
    size_t lineno = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *l = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        lineno++;
        if (lineno == 1 && n >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0) { l += 3; n -= 3; }
        while (n && st_is_blank(l[n - 1])) n--;
        size_t i = 0;
        while (i < n && (l[i] == ' ' || l[i] == '\r')) i++;
        if (i == n || l[i] == '#') continue;
        const char *tab = memchr(l + i, '\t', n - i);
        if (!tab) {
            st_rules_error(err, file, lineno, "expected word<TAB>expansion");
            return -1;
        }
        size_t wl = (size_t)(tab - (l + i));
        while (wl && st_is_blank(l[i + wl - 1])) wl--;
        if (wl == 0 || wl > 32) {
            st_rules_error(err, file, lineno, "a word must have 1 to 32 ASCII letters");
            return -1;
        }
        for (size_t k = 0; k < wl; k++) {
            unsigned char c = (unsigned char)l[i + k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                st_rules_error(err, file, lineno, "the word \"%.*s\" has a character that is not an ASCII letter",
                               (int)wl, l + i);
                return -1;
            }
        }
        const char *e = tab + 1;
        size_t el = (size_t)(l + n - e);
        while (el && st_is_blank(*e)) { e++; el--; }
        if (el == 0) {
            st_rules_error(err, file, lineno, "the word \"%.*s\" has no expansion", (int)wl, l + i);
            return -1;
        }
        st_dict_put(r, l + i, wl, e, el);
    }
    return 0;
}

/* ---- noise rules ---- */

static void st_rule_free(st_noise_rule *nr)
{
    free(nr->name);
    free(nr->doc);
    free(nr->pattern);
    for (size_t i = 0; i < nr->requires_count; i++) free(nr->requires[i]);
    free(nr->requires);
    pcre2_code_free(nr->code);
}

/* Where in the file a rule starts, for error messages: the line of the
 * index-th object of the top-level array. */
static size_t st_rule_line(const char *text, size_t len, size_t index)
{
    size_t depth = 0, seen = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        else if (c == '[' || c == '{') {
            if (c == '{' && depth == 1) {
                if (seen == index) return st_line_at(text, i);
                seen++;
            }
            depth++;
        } else if ((c == ']' || c == '}') && depth) depth--;
    }
    return 0;
}

static int st_load_noise_rules(st_rules *r, const char *text, size_t len, const char *file, st_error *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        st_rules_error(err, file, st_line_at(text, off), "invalid JSON");
        if (err) err->byte_offset = off;
        return -1;
    }
    if (!cJSON_IsArray(root)) {
        st_rules_error(err, file, 1, "the rule file must be a JSON array of rule objects");
        cJSON_Delete(root);
        return -1;
    }
    size_t index = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        size_t line = st_rule_line(text, len, index);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        const cJSON *scope = cJSON_GetObjectItemCaseSensitive(item, "scope");
        const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(item, "pattern");
        const cJSON *doc = cJSON_GetObjectItemCaseSensitive(item, "doc");
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(item, "requires");
        const cJSON *maxc = cJSON_GetObjectItemCaseSensitive(item, "max_chars");
        const char *what = NULL;
        if (!cJSON_IsObject(item)) what = "is not an object";
        else if (!cJSON_IsString(name) || !*name->valuestring) what = "has no \"name\" string";
        else if (!cJSON_IsString(pattern) || !*pattern->valuestring) what = "has no \"pattern\" string";
        else if (!cJSON_IsString(scope) ||
                 (strcmp(scope->valuestring, "inline") && strcmp(scope->valuestring, "line")))
            what = "needs \"scope\": \"inline\" or \"line\"";
        else if (doc && !cJSON_IsString(doc)) what = "has a \"doc\" that is not a string";
        else if (req && !cJSON_IsArray(req)) what = "has a \"requires\" that is not an array of strings";
        else if (maxc && (!cJSON_IsNumber(maxc) || maxc->valuedouble < 1 || maxc->valuedouble > 100000))
            what = "has a \"max_chars\" that is not a number from 1 to 100000";
        if (!what && req) {
            const cJSON *s;
            cJSON_ArrayForEach(s, req) {
                if (!cJSON_IsString(s) || !*s->valuestring) what = "has a \"requires\" that is not an array of strings";
            }
        }
        if (what) {
            if (cJSON_IsString(name))
                st_rules_error(err, file, line, "rule %zu (\"%s\") %s", index + 1, name->valuestring, what);
            else
                st_rules_error(err, file, line, "rule %zu %s", index + 1, what);
            cJSON_Delete(root);
            return -1;
        }
        int ec;
        PCRE2_SIZE eo;
        pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
        if (!cc) abort();
        pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern->valuestring, PCRE2_ZERO_TERMINATED,
                                         PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_MATCH_INVALID_UTF,
                                         &ec, &eo, cc);
        pcre2_compile_context_free(cc);
        if (!code) {
            PCRE2_UCHAR buf[160];
            pcre2_get_error_message(ec, buf, sizeof buf);
            st_rules_error(err, file, line, "rule %zu (\"%s\"): bad pattern at offset %zu: %s", index + 1,
                           name->valuestring, (size_t)eo, (const char *)buf);
            cJSON_Delete(root);
            return -1;
        }
        /* JIT when the library has it; the interpreter otherwise. */
        bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
        st_noise_rule *nr = ST_PUSH(r->rules, r->rule_count, r->rule_cap);
        memset(nr, 0, sizeof *nr);
        nr->name = st_xstrndup(name->valuestring, strlen(name->valuestring));
        nr->doc = doc ? st_xstrndup(doc->valuestring, strlen(doc->valuestring)) : NULL;
        nr->pattern = st_xstrndup(pattern->valuestring, strlen(pattern->valuestring));
        nr->scope = strcmp(scope->valuestring, "line") == 0 ? ST_SCOPE_LINE : ST_SCOPE_INLINE;
        nr->max_chars = maxc ? (size_t)maxc->valuedouble : ST_LINE_RULE_MAX_CHARS;
        nr->code = code;
        nr->jit = jit;
        if (req) {
            size_t n = (size_t)cJSON_GetArraySize(req);
            nr->requires = calloc(n ? n : 1, sizeof *nr->requires);
            if (!nr->requires) abort();
            const cJSON *s;
            cJSON_ArrayForEach(s, req) {
                nr->requires[nr->requires_count++] = st_xstrndup(s->valuestring, strlen(s->valuestring));
            }
        }
        index++;
    }
    cJSON_Delete(root);
    return 0;
}

/* ---- building ---- */

static int st_read_file(const char *path, char **out, size_t *len, st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        st_rules_error(err, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        st_rules_error(err, path, 0, "read error");
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int st_cmp_lit(const void *x, const void *y)
{
    const st_literal *a = x, *b = y;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Are s[0, n) the UTF-8 form of cp (not an overlong or broken one)? */
static bool st_is_utf8_form(const char *s, size_t n, uint32_t cp)
{
    char buf[4];
    size_t k;
    if (cp < 0x80) {
        buf[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    }
    return n == k && memcmp(s, buf, k) == 0;
}

/* The table of st_lits_of: lits sorted by first code point, each run of one
 * first code point gets a slot. */
static void st_index_first_code_points(st_rules *r)
{
    size_t size = 16;
    while (size < 2 * r->lit_count) size *= 2;
    free(r->lit_slots);
    r->lit_slots = calloc(size, sizeof *r->lit_slots);
    if (!r->lit_slots) abort();
    r->lit_slot_mask = size - 1;
    for (size_t lo = 0, hi; lo < r->lit_count; lo = hi) {
        uint32_t cp = r->lits[lo].first;
        for (hi = lo + 1; hi < r->lit_count && r->lits[hi].first == cp;) hi++;
        size_t h = (size_t)((cp * 0x9E3779B1u) >> 16) & r->lit_slot_mask;
        while (r->lit_slots[h].hi) h = (h + 1) & r->lit_slot_mask;
        r->lit_slots[h] = (st_lit_slot){.first = cp, .lo = (uint32_t)lo, .hi = (uint32_t)hi};
    }
}

/* Indexes the "requires" literals of all rules by their first code point.
 * A rule with a literal that does not start in the BMP is tried everywhere. */
static void st_index_literals(st_rules *r)
{
    r->lit_count = 0;
    memset(r->trig, 0, sizeof r->trig);
    memset(r->trig_pair, 0, sizeof r->trig_pair);
    memset(r->chars, 0, sizeof r->chars);
    memset(r->simp, 0, sizeof r->simp);
    st_clean_fill_flags(r->chars, r->simp);
    for (size_t k = 0; k < r->rule_count; k++) {
        st_noise_rule *nr = &r->rules[k];
        bool bmp = true;
        for (size_t q = 0; q < nr->requires_count; q++) {
            size_t m;
            uint32_t c = st_utf8_next(nr->requires[q], strlen(nr->requires[q]), &m);
            if (c >= 0x10000 || c == 0xFFFD) bmp = false;
        }
        if (!bmp) {
            for (size_t q = 0; q < nr->requires_count; q++) free(nr->requires[q]);
            free(nr->requires);
            nr->requires = NULL;
            nr->requires_count = 0;
            continue;
        }
        for (size_t q = 0; q < nr->requires_count; q++) {
            size_t m;
            st_literal *l = ST_PUSH(r->lits, r->lit_count, r->lit_cap);
            l->bytes = nr->requires[q];
            l->len = strlen(nr->requires[q]);
            l->first = st_utf8_next(l->bytes, l->len, &m);
            l->first_len = st_is_utf8_form(l->bytes, m, l->first) ? m : 0;
            l->rule = (uint32_t)k;
            r->trig[l->first >> 3] |= (uint8_t)(1u << (l->first & 7));
            size_t fl = l->first_len;
            if (fl == 0 || l->len < fl + 1) {
                r->chars[l->first] |= ST_CF_WHOLE;
            } else {
                unsigned char b1 = (unsigned char)l->bytes[fl];
                for (unsigned b2 = 0; b2 < 256; b2++) {
                    if (l->len >= fl + 2 && b2 != (unsigned char)l->bytes[fl + 1]) continue;
                    uint32_t h = st_trig_pair_hash(l->first, b1, (unsigned char)b2);
                    r->trig_pair[h] = 1;
                }
            }
            r->chars[l->first] |= ST_CF_TRIG;
        }
    }
    if (r->lit_count > 1) qsort(r->lits, r->lit_count, sizeof *r->lits, st_cmp_lit);
    st_index_first_code_points(r);
}

static int st_rules_load_defaults(st_rules *r, st_error *err)
{
    if (st_load_noise_rules(r, st_default_noise_rules, st_default_noise_rules_len,
                            "built-in noise-rules.json", err))
        return -1;
    return st_load_dictionary(r, st_default_dictionary, st_default_dictionary_len,
                              "built-in censored.tsv", err);
}

static st_rules *st_rules_alloc(void)
{
    st_rules *r = calloc(1, sizeof *r);
    if (!r) abort();
    return r;
}

static void st_rules_destroy(st_rules *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->rule_count; i++) st_rule_free(&r->rules[i]);
    free(r->rules);
    free(r->lits);
    free(r->lit_slots);
    for (size_t i = 0; i < r->word_count; i++) {
        free(r->words[i].word);
        free(r->words[i].expansion);
    }
    free(r->words);
    free(r->table);
    free(r);
}

static pthread_once_t st_default_once = PTHREAD_ONCE_INIT;
static st_rules *st_default_rules;

/* The embedded files are checked at build time (tools/embed.py) and by the
 * noise tests; should they still fail, st_rules_default() returns NULL and
 * st_parse reports ST_ERR_RULES. */
static void st_build_default(void)
{
    st_rules *r = st_rules_alloc();
    st_error err;
    if (st_rules_load_defaults(r, &err)) {
        st_rules_destroy(r);
        return;
    }
    st_index_literals(r);
    st_default_rules = r;
}

const st_rules *st_rules_default(void)
{
    pthread_once(&st_default_once, st_build_default);
    return st_default_rules;
}

st_rules *st_rules_new(const char *extra_noise_rules, const char *extra_dictionary, st_error *err)
{
    if (err) memset(err, 0, sizeof *err);
    st_rules *r = st_rules_alloc();
    if (st_rules_load_defaults(r, err)) goto fail;
    if (extra_noise_rules) {
        char *text;
        size_t len;
        if (st_read_file(extra_noise_rules, &text, &len, err)) goto fail;
        int rc = st_load_noise_rules(r, text, len, extra_noise_rules, err);
        free(text);
        if (rc) goto fail;
    }
    if (extra_dictionary) {
        char *text;
        size_t len;
        if (st_read_file(extra_dictionary, &text, &len, err)) goto fail;
        int rc = st_load_dictionary(r, text, len, extra_dictionary, err);
        free(text);
        if (rc) goto fail;
    }
    st_index_literals(r);
    return r;
fail:
    st_rules_destroy(r);
    return NULL;
}

void st_rules_free(st_rules *rules)
{
    if (!rules || rules == st_default_rules) return;
    st_rules_destroy(rules);
}

size_t st_rules_noise_count(const st_rules *rules)
{
    return rules ? rules->rule_count + ST_STRUCTURAL_RULES : 0;
}

/* ---- Traditional -> Simplified ---- */

/* doc->trans holds the document's transliterator, or this marker when ICU
 * could not open one (then the input is returned unchanged). */
static char st_trans_unavailable;

void st_rules_doc_cleanup(st_doc *doc)
{
    if (!doc) return;
    if (doc->trans && doc->trans != (void *)&st_trans_unavailable) utrans_close((UTransliterator *)doc->trans);
    doc->trans = NULL;
}

const char *st_to_simplified(st_doc *doc, const char *s, size_t len, size_t *out_len)
{
    *out_len = len;
    if (len == 0 || len > (1u << 24)) return s;
    if (!doc->trans) {
        UErrorCode st = U_ZERO_ERROR;
        UChar id[32];
        u_uastrcpy(id, "Traditional-Simplified");
        UTransliterator *t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
        doc->trans = U_SUCCESS(st) && t ? (void *)t : (void *)&st_trans_unavailable;
    }
    if (doc->trans == (void *)&st_trans_unavailable) return s;
    UTransliterator *t = (UTransliterator *)doc->trans;

    UChar stack[512];
    int32_t cap = (int32_t)len + 16; /* UTF-16 units never exceed UTF-8 bytes */
    UChar *buf = cap <= (int32_t)(sizeof stack / sizeof *stack) ? stack : malloc((size_t)cap * sizeof(UChar));
    if (!buf) abort();
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    u_strFromUTF8WithSub(buf, cap, &ulen, s, (int32_t)len, 0xFFFD, NULL, &st);
    const char *result = s;
    if (U_SUCCESS(st)) {
        int32_t limit = ulen;
        utrans_transUChars(t, buf, &ulen, cap, 0, &limit, &st);
        if (U_SUCCESS(st)) {
            int32_t blen = 0;
            UErrorCode st2 = U_ZERO_ERROR;
            u_strToUTF8(NULL, 0, &blen, buf, ulen, &st2);
            char *out = st_arena_alloc(&doc->arena, (size_t)blen + 1);
            st2 = U_ZERO_ERROR;
            u_strToUTF8(out, blen + 1, &blen, buf, ulen, &st2);
            if (U_SUCCESS(st2)) {
                result = out;
                *out_len = (size_t)blen;
            }
        }
    }
    if (buf != stack) free(buf);
    return result;
}
