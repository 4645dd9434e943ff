/* Unit tests of the decode stage (src/decode.c), independent of the CLI.
 * They call st_decode directly on a bare document, plus a few st_parse calls
 * through the public API. Exit status 0 when all pass. */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <unicode/ucnv.h>

static int failures, checks;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        checks++;                                                            \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* ---- a growable byte buffer to build inputs ---- */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    b->p = st_grow(b->p, &b->cap, b->n + n + 1, 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* UTF-8 -> UTF-16 code units (LE or BE), and UTF-32 */
static void put_utf16(buf *b, const char *s, bool be)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        i += n;
        uint16_t u[2];
        int k = 0;
        if (c >= 0x10000) {
            u[k++] = (uint16_t)(0xD800 + ((c - 0x10000) >> 10));
            u[k++] = (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            u[k++] = (uint16_t)c;
        }
        for (int j = 0; j < k; j++) {
            unsigned char x[2] = {(unsigned char)(be ? u[j] >> 8 : u[j]), (unsigned char)(be ? u[j] : u[j] >> 8)};
            put(b, x, 2);
        }
    }
}
static void put_utf32le(buf *b, const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        i += n;
        unsigned char x[4] = {(unsigned char)c, (unsigned char)(c >> 8), (unsigned char)(c >> 16), 0};
        put(b, x, 4);
    }
}

/* ---- sample texts ---- */
#define PFX "一二三四五六七八九十一二三四五六七八九十" /* 60 bytes */
/* simplified, GB2312 only */
static const char *const SIMP =
    "对照检查材料\n"
    "按照民主生活会的要求，我认真学习了党的理论，现将对照检查情况报告如下。\n"
    "一、存在的问题\n"
    "（一）理论学习不够深入。一是学习的自觉性不强，二是学用结合不紧。\n"
    "二、原因分析\n"
    "1. 思想认识不到位，对加强学习的重要性认识不足。\n"
    "三、整改措施\n"
    "以上对照检查，请同志们批评指正。\n";
/* its GB18030 bytes */
static const char SIMP_GB[] =
    "\xb6\xd4\xd5\xd5\xbc\xec\xb2\xe9\xb2\xc4\xc1\xcf\n"
    "\xb0\xb4\xd5\xd5\xc3\xf1\xd6\xf7\xc9\xfa\xbb\xee\xbb\xe1\xb5\xc4\xd2\xaa\xc7\xf3\xa3\xac\xce\xd2"
    "\xc8\xcf\xd5\xe6\xd1\xa7\xcf\xb0\xc1\xcb\xb5\xb3\xb5\xc4\xc0\xed\xc2\xdb\xa3\xac\xcf\xd6\xbd\xab"
    "\xb6\xd4\xd5\xd5\xbc\xec\xb2\xe9\xc7\xe9\xbf\xf6\xb1\xa8\xb8\xe6\xc8\xe7\xcf\xc2\xa1\xa3\n"
    "\xd2\xbb\xa1\xa2\xb4\xe6\xd4\xda\xb5\xc4\xce\xca\xcc\xe2\n"
    "\xa3\xa8\xd2\xbb\xa3\xa9\xc0\xed\xc2\xdb\xd1\xa7\xcf\xb0\xb2\xbb\xb9\xbb\xc9\xee\xc8\xeb\xa1\xa3"
    "\xd2\xbb\xca\xc7\xd1\xa7\xcf\xb0\xb5\xc4\xd7\xd4\xbe\xf5\xd0\xd4\xb2\xbb\xc7\xbf\xa3\xac\xb6\xfe"
    "\xca\xc7\xd1\xa7\xd3\xc3\xbd\xe1\xba\xcf\xb2\xbb\xbd\xf4\xa1\xa3\n"
    "\xb6\xfe\xa1\xa2\xd4\xad\xd2\xf2\xb7\xd6\xce\xf6\n"
    "1. \xcb\xbc\xcf\xeb\xc8\xcf\xca\xb6\xb2\xbb\xb5\xbd\xce\xbb\xa3\xac\xb6\xd4\xbc\xd3\xc7\xbf\xd1\xa7"
    "\xcf\xb0\xb5\xc4\xd6\xd8\xd2\xaa\xd0\xd4\xc8\xcf\xca\xb6\xb2\xbb\xd7\xe3\xa1\xa3\n"
    "\xc8\xfd\xa1\xa2\xd5\xfb\xb8\xc4\xb4\xeb\xca\xa9\n"
    "\xd2\xd4\xc9\xcf\xb6\xd4\xd5\xd5\xbc\xec\xb2\xe9\xa3\xac\xc7\xeb\xcd\xac\xd6\xbe\xc3\xc7\xc5\xfa"
    "\xc6\xc0\xd6\xb8\xd5\xfd\xa1\xa3\n";
/* traditional, and its Big5 bytes */
static const char *const TRAD =
    "對照檢查材料\n"
    "按照民主生活會的要求，我認真學習了黨的理論，現將對照檢查情況報告如下。\n"
    "一、存在的問題\n"
    "（一）理論學習不夠深入。一是學習的自覺性不強，二是學用結合不緊。\n";
static const char TRAD_BIG5[] =
    "\xb9\xef\xb7\xd3\xc0\xcb\xac\x64\xa7\xf7\xae\xc6\n"
    "\xab\xf6\xb7\xd3\xa5\xc1\xa5\x44\xa5\xcd\xac\xa1\xb7\x7c\xaa\xba\xad\x6e\xa8\x44\xa1\x41\xa7\xda"
    "\xbb\x7b\xaf\x75\xbe\xc7\xb2\xdf\xa4\x46\xc4\xd2\xaa\xba\xb2\x7a\xbd\xd7\xa1\x41\xb2\x7b\xb1\x4e"
    "\xb9\xef\xb7\xd3\xc0\xcb\xac\x64\xb1\xa1\xaa\x70\xb3\xf8\xa7\x69\xa6\x70\xa4\x55\xa1\x43\n"
    "\xa4\x40\xa1\x42\xa6\x73\xa6\x62\xaa\xba\xb0\xdd\xc3\x44\n"
    "\xa1\x5d\xa4\x40\xa1\x5e\xb2\x7a\xbd\xd7\xbe\xc7\xb2\xdf\xa4\xa3\xb0\xf7\xb2\x60\xa4\x4a\xa1\x43"
    "\xa4\x40\xac\x4f\xbe\xc7\xb2\xdf\xaa\xba\xa6\xdb\xc4\xb1\xa9\xca\xa4\xa3\xb1\x6a\xa1\x41\xa4\x47"
    "\xac\x4f\xbe\xc7\xa5\xce\xb5\xb2\xa6\x58\xa4\xa3\xba\xf2\xa1\x43\n";

/* ---- running the stage ---- */
typedef struct run {
    st_doc *doc;
    int rc;
    st_error err;
} run;

static run dec(const void *data, size_t len, const char *enc, int lossy)
{
    run r;
    st_options opt;
    st_options_init(&opt);
    opt.encoding = enc;
    opt.lossy = lossy;
    r.doc = calloc(1, sizeof *r.doc);
    memset(&r.err, 0, sizeof r.err);
    r.rc = st_decode(r.doc, data, len, &opt, &r.err);
    return r;
}

static void done(run *r)
{
    free(r->doc->src);
    free(r->doc->diags);
    st_arena_free(&r->doc->arena);
    free(r->doc);
}

static bool src_is(const run *r, const char *want)
{
    return r->rc == 0 && r->doc->src && r->doc->src_len == strlen(want) && !memcmp(r->doc->src, want, r->doc->src_len) &&
           r->doc->src[r->doc->src_len] == 0;
}

static void expect_ok(const char *what, const void *data, size_t len, const char *enc, const char *want_src,
                      const char *want_enc, const char *want_source)
{
    run r = dec(data, len, enc, 0);
    CHECK(r.rc == 0, "%s: failed: %s", what, r.err.message);
    if (!r.rc) {
        CHECK(src_is(&r, want_src), "%s: wrong text (%zu bytes): %.80s", what, r.doc->src_len, r.doc->src);
        CHECK(!strcmp(r.doc->encoding, want_enc), "%s: encoding %s, want %s", what, r.doc->encoding, want_enc);
        CHECK(!strcmp(r.doc->encoding_source, want_source), "%s: source %s, want %s", what, r.doc->encoding_source,
              want_source);
        CHECK(r.doc->confidence >= 0 && r.doc->confidence <= 100, "%s: confidence %d", what, r.doc->confidence);
    }
    done(&r);
}

static void expect_err(const char *what, const void *data, size_t len, const char *enc, st_status status,
                       size_t off, size_t line, size_t col, const char *needle)
{
    run r = dec(data, len, enc, 0);
    CHECK(r.rc != 0, "%s: no error", what);
    if (r.rc) {
        CHECK(r.err.status == status, "%s: status %d, want %d (%s)", what, r.err.status, status, r.err.message);
        CHECK(r.err.byte_offset == off, "%s: offset %zu, want %zu (%s)", what, r.err.byte_offset, off, r.err.message);
        if (line) {
            CHECK(r.err.line == line && r.err.column == col, "%s: at %zu:%zu, want %zu:%zu (%s)", what, r.err.line,
                  r.err.column, line, col, r.err.message);
        }
        CHECK(!needle || strstr(r.err.message, needle), "%s: message lacks \"%s\": %s", what, needle, r.err.message);
        CHECK(r.doc->src == NULL, "%s: src left behind", what);
    }
    done(&r);
}

/* ---- tests ---- */

static void test_utf8(void)
{
    expect_ok("empty", "", 0, NULL, "", "UTF-8", "default");
    expect_ok("ascii", "abc", 3, NULL, "abc", "UTF-8", "default");
    expect_ok("line ends", "a\r\nb\rc\n\r\rd\r", 11, NULL, "a\nb\nc\n\n\nd\n", "UTF-8", "default");
    expect_ok("long CRLF", "0123456789abcdef\r\n0123456789abcdef\r\n", 36, NULL,
              "0123456789abcdef\n0123456789abcdef\n", "UTF-8", "default");
    expect_ok("chinese", SIMP, strlen(SIMP), NULL, SIMP, "UTF-8", "default");
    buf b = {0};
    puts_(&b, "\xEF\xBB\xBF");
    puts_(&b, SIMP);
    expect_ok("utf-8 bom", b.p, b.n, NULL, SIMP, "UTF-8", "bom");
    expect_ok("bom only", "\xEF\xBB\xBF", 3, NULL, "", "UTF-8", "bom");
    /* spaces and invisible characters are kept as written */
    const char *ws = "\xE3\x80\x80\xE4\xB8\x80\xC2\xA0\xE2\x80\x8B\xE3\x80\x81\xEF\xBB\xBF\t\f\v.";
    expect_ok("odd spaces kept", ws, strlen(ws), NULL, ws, "UTF-8", "default");
    /* 4-byte characters and the edges of the valid ranges */
    const char *edge = "\xF0\xA0\x80\x80 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xED\x9F\xBF \xEE\x80\x80 \xE0\xA0\x80 \xC2\x80";
    expect_ok("edges", edge, strlen(edge), NULL, edge, "UTF-8", "default");
    free(b.p);
}

/* the bytes of SIMP with one thing changed, as UTF-8 */
static void test_utf8_errors(void)
{
    size_t n = strlen(SIMP);
    buf b = {0};
    /* start */
    put(&b, "\xC3", 1);
    puts_(&b, SIMP);
    expect_err("bad first byte", b.p, b.n, NULL, ST_ERR_DECODE, 0, 1, 1, "invalid UTF-8 byte 0xC3 at byte 0 (line 1, column 1)");
    /* middle: after line 2's "按照" (line 2 starts at byte 19) */
    b.n = 0;
    put(&b, SIMP, 19 + 6);
    put(&b, "\xFF", 1);
    put(&b, SIMP + 25, n - 25);
    expect_err("bad middle byte", b.p, b.n, NULL, ST_ERR_DECODE, 25, 2, 3, "byte 0xFF at byte 25 (line 2, column 3)");
    /* same with CRLF line ends: the line still counts */
    /* same with CRLF line ends: the line still counts */
    b.n = 0;
    puts_(&b, "ab\r\ncd\r\n" PFX "\xE4\xB8\x80\x80x");
    expect_err("bad after CRLF", b.p, b.n, NULL, ST_ERR_DECODE, 71, 3, 22, "0x80 at byte 71");
    /* end */
    b.n = 0;
    puts_(&b, SIMP);
    put(&b, "\x80", 1);
    expect_err("bad last byte", b.p, b.n, NULL, ST_ERR_DECODE, n, 9, 1, "at byte");
    /* truncated sequence at the end */
    b.n = 0;
    put(&b, SIMP, n - 1); /* without the final \n */
    put(&b, "\xE4\xB8", 2);
    expect_err("truncated at EOF", b.p, b.n, NULL, ST_ERR_DECODE, n - 1, 8, 17, "incomplete UTF-8 sequence 0xE4 0xB8 at the end");
    /* surrogates, overlongs and code points above U+10FFFF are invalid (after
     * some valid text, so that the input is not taken for another encoding) */
    expect_err("surrogate", PFX "\xED\xA0\x80", 63, NULL, ST_ERR_DECODE, 60, 1, 21, "invalid UTF-8 byte 0xED");
    expect_err("overlong", PFX "\xC0\xAF", 62, NULL, ST_ERR_DECODE, 60, 1, 21, "0xC0");
    expect_err("too big", PFX "\xF4\x90\x80\x80", 64, NULL, ST_ERR_DECODE, 60, 1, 21, "0xF4");
    expect_err("short sequence", PFX "\xE4\xB8z", 63, NULL, ST_ERR_DECODE, 60, 1, 21, "incomplete UTF-8 sequence 0xE4 0xB8 at byte 60");
    /* a stray high byte in ASCII text is an error, not another encoding */
    expect_err("stray byte", "ab\xFF", 3, NULL, ST_ERR_DECODE, 2, 1, 3, "invalid UTF-8 byte 0xFF at byte 2");
    /* in a UTF-8 file with a BOM, offsets count the BOM */
    expect_err("bom + bad", "\xEF\xBB\xBFxy\xFE", 6, NULL, ST_ERR_DECODE, 5, 1, 3, "byte 5");
    free(b.p);
}

static size_t diag_count(const st_doc *d, const char *code)
{
    size_t k = 0;
    for (size_t i = 0; i < d->diag_count; i++) k += !strcmp(d->diags[i].code, code);
    return k;
}

static void test_lossy(void)
{
    /* after some good text: a bad byte, a truncated sequence before ASCII, a
     * lone continuation byte, a truncated sequence at the end */
    size_t n = strlen(SIMP);
    buf in = {0};
    puts_(&in, SIMP);
    puts_(&in, "\xE4\xB8\x80\xFF\xE4\xB8z\x80\r\n\xE4");
    run r = dec(in.p, in.n, NULL, 1);
    buf want = {0};
    puts_(&want, SIMP);
    puts_(&want, "\xE4\xB8\x80\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\n\xEF\xBF\xBD");
    CHECK(src_is(&r, want.p), "lossy text: %s", r.doc->src ? r.doc->src : "(null)");
    CHECK(r.rc == 0 && !strcmp(r.doc->encoding, "UTF-8"), "lossy encoding %s", r.rc ? r.err.message : r.doc->encoding);
    /* FFFD FFFD are adjacent: one diagnostic; then two more */
    CHECK(diag_count(r.doc, "invalid-bytes") == 3, "lossy diags: %zu", r.doc->diag_count);
    if (r.doc->diag_count == 3) {
        char msg[64];
        CHECK(r.doc->diags[0].start == n + 3 && r.doc->diags[0].end == n + 9, "diag 0 at %zu-%zu",
              r.doc->diags[0].start, r.doc->diags[0].end);
        snprintf(msg, sizeof msg, "0xFF 0xE4 0xB8 at byte %zu", n + 3);
        CHECK(strstr(r.doc->diags[0].message, msg), "diag 0: %s", r.doc->diags[0].message);
        CHECK(r.doc->diags[1].start == n + 10 && r.doc->diags[1].end == n + 13, "diag 1 at %zu",
              r.doc->diags[1].start);
        snprintf(msg, sizeof msg, "0x80 at byte %zu", n + 7);
        CHECK(strstr(r.doc->diags[1].message, msg), "diag 1: %s", r.doc->diags[1].message);
        CHECK(r.doc->diags[2].start == n + 14 && r.doc->diags[2].end == n + 17, "diag 2 at %zu",
              r.doc->diags[2].start);
    }
    done(&r);
    free(in.p);
    free(want.p);

    /* many bad bytes: diagnostics are capped */
    buf b = {0};
    for (int i = 0; i < 500; i++) puts_(&b, "\xE4\xB8\x80\xFF");
    r = dec(b.p, b.n, NULL, 1);
    CHECK(r.rc == 0 && r.doc->src_len == 500 * 6, "many bad: %zu", r.doc->src_len);
    CHECK(r.doc->diag_count > 0 && r.doc->diag_count <= 101, "many bad diags: %zu", r.doc->diag_count);
    done(&r);

    /* lossy GB18030: the detected encoding, U+FFFD for the bad byte */
    b.n = 0;
    put(&b, SIMP_GB, 41);
    put(&b, "\x80", 1);
    put(&b, SIMP_GB + 41, sizeof SIMP_GB - 1 - 41);
    r = dec(b.p, b.n, NULL, 1);
    CHECK(r.rc == 0 && !strcmp(r.doc->encoding, "GB18030"), "lossy gb: %s", r.rc ? r.err.message : r.doc->encoding);
    if (!r.rc) {
        CHECK(diag_count(r.doc, "invalid-bytes") == 1, "lossy gb diags %zu", r.doc->diag_count);
        const char *f = strstr(r.doc->src, "\xEF\xBF\xBD");
        CHECK(f && r.doc->diag_count && r.doc->diags[0].start == (size_t)(f - r.doc->src),
              "lossy gb: FFFD place");
        CHECK(r.doc->diag_count && strstr(r.doc->diags[0].message, "0x80 at byte 41"), "lossy gb msg: %s",
              r.doc->diag_count ? r.doc->diags[0].message : "");
    }
    done(&r);
    /* strict: the error names GB18030 and the place */
    expect_err("bad gb byte", b.p, b.n, NULL, ST_ERR_DECODE, 41, 2, 15, "invalid GB18030 byte 0x80 at byte 41 (line 2, column 15)");
    free(b.p);
}

static void test_utf16(void)
{
    buf b = {0}, want = {0};
    const char *txt = "一、存在的问题\r\n（一）学习不够。\rabc 𠀀\n";
    const char *norm = "一、存在的问题\n（一）学习不够。\nabc 𠀀\n";
    put(&b, "\xFF\xFE", 2);
    put_utf16(&b, txt, false);
    expect_ok("utf-16le bom", b.p, b.n, NULL, norm, "UTF-16LE", "bom");
    b.n = 0;
    put(&b, "\xFE\xFF", 2);
    put_utf16(&b, txt, true);
    expect_ok("utf-16be bom", b.p, b.n, NULL, norm, "UTF-16BE", "bom");
    b.n = 0;
    put_utf16(&b, SIMP, false);
    expect_ok("utf-16le no bom", b.p, b.n, NULL, SIMP, "UTF-16LE", "detected");
    b.n = 0;
    put_utf16(&b, SIMP, true);
    expect_ok("utf-16be no bom", b.p, b.n, NULL, SIMP, "UTF-16BE", "detected");
    b.n = 0;
    put_utf16(&b, "Hello, world.\nThis is plain ASCII in UTF-16.\n", false);
    expect_ok("utf-16le ascii", b.p, b.n, NULL, "Hello, world.\nThis is plain ASCII in UTF-16.\n", "UTF-16LE", "detected");
    /* Chinese without a single ASCII character: no zero bytes at all */
    const char *pure = "对照检查材料。按照民主生活会的要求，我认真学习了党的理论，现将对照检查情况报告如下。";
    b.n = 0;
    put_utf16(&b, pure, false);
    expect_ok("utf-16le pure cjk", b.p, b.n, NULL, pure, "UTF-16LE", "detected");
    /* BOM followed by text with an unpaired surrogate */
    b.n = 0;
    put(&b, "\xFF\xFE", 2);
    put_utf16(&b, "ab", false);
    put(&b, "\x00\xD8", 2);
    put_utf16(&b, "cd", false);
    expect_err("utf-16 lone surrogate", b.p, b.n, NULL, ST_ERR_DECODE, 6, 1, 3, "UTF-16LE");
    run r = dec(b.p, b.n, NULL, 1);
    CHECK(src_is(&r, "ab\xEF\xBF\xBD" "cd") && r.doc->diag_count == 1, "utf-16 lossy surrogate");
    done(&r);
    /* odd length: the last byte is a truncated unit */
    b.n = 0;
    put(&b, "\xFF\xFE", 2);
    put_utf16(&b, "abc", false);
    put(&b, "x", 1);
    expect_err("utf-16 odd length", b.p, b.n, NULL, ST_ERR_DECODE, 8, 1, 4, "incomplete");
    /* a NUL character in UTF-16 is binary */
    b.n = 0;
    put(&b, "\xFF\xFE", 2);
    put_utf16(&b, "abc", false);
    put(&b, "\0\0", 2);
    expect_err("utf-16 NUL", b.p, b.n, NULL, ST_ERR_BINARY, 8, 0, 0, "binary");
    /* a surrogate pair and a CRLF split between the decoder's 64K-unit chunks */
    for (int shift = 0; shift < 4; shift++) {
        b.n = 0;
        want.n = 0;
        put(&b, "\xFF\xFE", 2);
        for (int i = 0; i < shift; i++) {
            put_utf16(&b, "a", false);
            puts_(&want, "a");
        }
        for (int i = 0; i < 40000; i++) {
            put_utf16(&b, "𠀀\r\n", false);
            puts_(&want, "𠀀\n");
        }
        run r2 = dec(b.p, b.n, NULL, 0);
        CHECK(src_is(&r2, want.p), "utf-16 chunk boundaries (shift %d): %zu bytes, want %zu", shift,
              r2.doc->src_len, want.n);
        done(&r2);
    }
    /* UTF-32 with BOM */
    b.n = 0;
    put(&b, "\xFF\xFE\0\0", 4);
    put_utf32le(&b, txt);
    expect_ok("utf-32le bom", b.p, b.n, NULL, norm, "UTF-32LE", "bom");
    free(b.p);
    free(want.p);
}

static void test_legacy(void)
{
    expect_ok("gb18030", SIMP_GB, sizeof SIMP_GB - 1, NULL, SIMP, "GB18030", "detected");
    expect_ok("big5", TRAD_BIG5, sizeof TRAD_BIG5 - 1, NULL, TRAD, "Big5", "detected");
    /* the traditional flag is the noise stage's: check it through st_parse */
    st_doc *whole = st_parse(TRAD_BIG5, sizeof TRAD_BIG5 - 1, NULL, NULL);
    CHECK(whole && st_doc_is_traditional(whole), "big5 text is traditional");
    st_doc_free(whole);
    run r = dec(TRAD_BIG5, sizeof TRAD_BIG5 - 1, NULL, 0);
    CHECK(r.rc == 0 && r.doc->confidence >= 60, "big5 confidence %d", r.doc->confidence);
    done(&r);
    whole = st_parse(SIMP_GB, sizeof SIMP_GB - 1, NULL, NULL);
    CHECK(whole && !st_doc_is_traditional(whole), "gb text is simplified");
    st_doc_free(whole);
    r = dec(SIMP_GB, sizeof SIMP_GB - 1, NULL, 0);
    CHECK(r.rc == 0 && r.doc->confidence >= 60, "gb confidence %d", r.doc->confidence);
    done(&r);
    whole = st_parse(TRAD, strlen(TRAD), NULL, NULL);
    CHECK(whole && st_doc_is_traditional(whole), "utf-8 traditional text");
    st_doc_free(whole);

    /* short texts: a title alone */
    expect_ok("short gb", "\xb6\xd4\xd5\xd5\xbc\xec\xb2\xe9\xb2\xc4\xc1\xcf", 12, NULL, "对照检查材料", "GB18030", "detected");
    expect_ok("short big5", "\xb9\xef\xb7\xd3\xc0\xcb\xac\x64\xa7\xf7\xae\xc6", 12, NULL, "對照檢查材料", "Big5", "detected");
    expect_ok("two gb chars", "\xd6\xd0\xce\xc4", 4, NULL, "中文", "GB18030", "detected");
    /* GB18030 beyond GBK: 𠀀 U+20000 = 95 32 82 36, 䶮 U+4DAE = FE 9F */
    buf b = {0};
    put(&b, SIMP_GB, 12);
    put(&b, "\x95\x32\x82\x36\xFE\x9F", 6);
    put(&b, SIMP_GB + 12, sizeof SIMP_GB - 1 - 12);
    buf w = {0};
    put(&w, SIMP, 18);
    puts_(&w, "𠀀䶮");
    puts_(&w, SIMP + 18);
    expect_ok("gb18030 4-byte", b.p, b.n, NULL, w.p, "GB18030", "detected");
    /* CRLF in GB18030, across the converter's chunks */
    b.n = 0;
    w.n = 0;
    for (int i = 0; i < 3000; i++) {
        put(&b, SIMP_GB, sizeof SIMP_GB - 1);
        puts_(&w, SIMP);
    }
    buf crlf = {0};
    for (size_t i = 0; i < b.n; i++) {
        if (b.p[i] == '\n') put(&crlf, "\r\n", 2);
        else put(&crlf, b.p + i, 1);
    }
    expect_ok("gb18030 crlf big", crlf.p, crlf.n, NULL, w.p, "GB18030", "detected");
    /* truncated GB18030 at the end */
    crlf.n = 0;
    put(&crlf, SIMP_GB, sizeof SIMP_GB - 2);
    put(&crlf, "\xd6", 1);
    expect_err("gb truncated", crlf.p, crlf.n, NULL, ST_ERR_DECODE, sizeof SIMP_GB - 2, 0, 0, "incomplete GB18030");
    free(b.p);
    free(w.p);
    free(crlf.p);
}

static void test_forced(void)
{
    expect_ok("forced gbk", SIMP_GB, sizeof SIMP_GB - 1, "gbk", SIMP, "GBK", "forced");
    expect_ok("forced gb18030", SIMP_GB, sizeof SIMP_GB - 1, "gb18030", SIMP, "GB18030", "forced");
    expect_ok("forced big5", TRAD_BIG5, sizeof TRAD_BIG5 - 1, "BIG5", TRAD, "Big5", "forced");
    expect_ok("forced utf-8", SIMP, strlen(SIMP), "utf8", SIMP, "UTF-8", "forced");
    expect_ok("forced utf-8 bom", "\xEF\xBB\xBFok", 5, "UTF-8", "ok", "UTF-8", "forced");
    buf b = {0};
    put_utf16(&b, "\xEF\xBB\xBFok\r\n", false); /* with U+FEFF first */
    expect_ok("forced utf-16le", b.p, b.n, "utf-16le", "ok\n", "UTF-16LE", "forced");
    expect_ok("forced latin1", "caf\xE9", 4, "latin1", "caf\xC3\xA9", "ISO-8859-1", "forced");
    expect_err("forced nonsense", "abc", 3, "nonsense", ST_ERR_ENCODING, 0, 0, 0, "unknown encoding \"nonsense\"");
    expect_err("forced utf-8 on gb", SIMP_GB, sizeof SIMP_GB - 1, "utf-8", ST_ERR_DECODE, 0, 1, 1, "UTF-8");
    /* a truncated GBK character, forced */
    expect_err("forced gbk bad", "ab\x81", 3, "gbk", ST_ERR_DECODE, 2, 1, 3, "GBK");
    expect_err("forced gbk NUL", "ab\0", 3, "gbk", ST_ERR_BINARY, 2, 1, 3, "NUL");
    expect_err("forced utf-7 NUL", "ab+AAA-", 7, "utf-7", ST_ERR_BINARY, 0, 1, 3, "NUL");
    free(b.p);
}

static void test_binary(void)
{
    expect_err("NUL", "abc\0def", 7, NULL, ST_ERR_BINARY, 3, 1, 4, "binary data (NUL byte) at byte 3");
    expect_err("NUL in chinese", "一\n二\0", 8, NULL, ST_ERR_BINARY, 7, 2, 2, "binary");
    char junk[200];
    for (int i = 0; i < 200; i++) junk[i] = (char)(i % 3 ? 'a' + i % 26 : 1 + i % 7);
    expect_err("controls", junk, sizeof junk, NULL, ST_ERR_BINARY, 0, 0, 0, "binary data (control character");
    /* a stray control character or two are tolerated */
    buf b = {0};
    puts_(&b, SIMP);
    puts_(&b, "\x1a");
    expect_ok("one control", b.p, b.n, NULL, b.p, "UTF-8", "default");
    /* random bytes with NULs */
    unsigned char rnd[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (unsigned char)(x >> 16);
    }
    run r = dec(rnd, sizeof rnd, NULL, 0);
    CHECK(r.rc && r.err.status == ST_ERR_BINARY, "random bytes: %d %s", r.err.status, r.err.message);
    done(&r);
    free(b.p);
}

/* through the public API */
static void test_parse_api(void)
{
    st_options opt;
    st_options_init(&opt);
    st_error err;
    st_doc *d = st_parse(SIMP_GB, sizeof SIMP_GB - 1, &opt, &err);
    CHECK(d != NULL, "st_parse gb: %s", err.message);
    if (d) {
        CHECK(!strcmp(st_doc_encoding(d), "GB18030"), "api encoding");
        CHECK(!strcmp(st_doc_encoding_source(d), "detected"), "api source");
        st_str s = st_doc_source(d);
        CHECK(s.len == strlen(SIMP) && !memcmp(s.ptr, SIMP, s.len), "api source text");
        st_doc_free(d);
    }
    d = st_parse("ab\xFF", 3, &opt, &err);
    CHECK(!d && err.status == ST_ERR_DECODE && err.byte_offset == 2 && err.line == 1 && err.column == 3,
          "api error: %s", err.message);
    opt.lossy = 1;
    d = st_parse("ab\xFF", 3, &opt, &err);
    CHECK(d != NULL, "api lossy: %s", err.message);
    if (d) {
        bool found = false;
        for (size_t i = 0; i < st_doc_diagnostic_count(d); i++) {
            st_diagnostic g = st_doc_diagnostic(d, i);
            if (!strcmp(g.code, "invalid-bytes")) {
                found = true;
                CHECK(g.place.line == 1 && g.place.column == 3 && g.place.start == 2 && g.place.end == 3,
                      "api lossy place %zu:%zu %zu-%zu", g.place.line, g.place.column, g.place.start, g.place.end);
            }
        }
        CHECK(found, "api lossy diagnostic");
        st_doc_free(d);
    }
}

/* ---- GB18030 against ICU itself ----
 * decode.c converts GB18030 from tables (ICU fills them) and falls back to ICU
 * for anything unusual; random texts of valid and invalid pieces must come out
 * exactly as a plain ICU conversion: the same text, or an error at the same
 * byte. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32) % n;
}

/* ICU's GB18030 -> UTF-8 with CRLF and CR as LF and a leading U+FEFF dropped
 * (what decode.c promises); false with *err_off on the first error. */
static bool gb18030_reference(const char *in, size_t len, buf *out, size_t *err_off)
{
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open("gb18030", &e);
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    UChar *u = malloc((2 * len + 4) * sizeof *u), *t = u;
    const char *s = in;
    e = U_ZERO_ERROR;
    ucnv_toUnicode(cnv, &t, u + 2 * len + 4, &s, in + len, NULL, true, &e);
    bool ok = U_SUCCESS(e);
    if (!ok) {
        char bad[32];
        int8_t bn = sizeof bad;
        UErrorCode e2 = U_ZERO_ERROR;
        ucnv_getInvalidChars(cnv, bad, &bn, &e2);
        *err_off = (size_t)(s - in) - (size_t)bn;
    }
    ucnv_close(cnv);
    out->n = 0;
    bool cr = false;
    for (UChar *q = u; ok && q < t; q++) {
        uint32_t c = *q;
        if (c >= 0xD800 && c <= 0xDBFF && q + 1 < t) c = 0x10000 + ((c - 0xD800) << 10) + (uint32_t)(*++q - 0xDC00);
        if (q == u && c == 0xFEFF) continue;
        if (c == '\n' && cr) {
            cr = false;
            continue;
        }
        cr = c == '\r';
        unsigned char x[4];
        size_t n;
        if (cr) x[0] = '\n', n = 1;
        else if (c < 0x80) x[0] = (unsigned char)c, n = 1;
        else if (c < 0x800) x[0] = (unsigned char)(0xC0 | c >> 6), x[1] = (unsigned char)(0x80 | (c & 0x3F)), n = 2;
        else if (c < 0x10000)
            x[0] = (unsigned char)(0xE0 | c >> 12), x[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
            x[2] = (unsigned char)(0x80 | (c & 0x3F)), n = 3;
        else
            x[0] = (unsigned char)(0xF0 | c >> 18), x[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F)),
            x[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)), x[3] = (unsigned char)(0x80 | (c & 0x3F)), n = 4;
        put(out, x, n);
    }
    if (!out->p) put(out, "", 0);
    free(u);
    return ok;
}

/* one random piece of GB18030 text, sometimes an invalid one */
/* The GB18030 four-byte sequence with linear index v counted from
 * first_lead 30 81 30. */
static void put_gb4(buf *b, unsigned first_lead, uint32_t v)
{
    unsigned char x[4];
    x[3] = (unsigned char)(0x30 + v % 10), v /= 10;
    x[2] = (unsigned char)(0x81 + v % 126), v /= 126;
    x[1] = (unsigned char)(0x30 + v % 10), v /= 10;
    x[0] = (unsigned char)(first_lead + v);
    put(b, x, 4);
}

static void put_gb_piece(buf *b, bool allow_bad)
{
    unsigned char x[4];
    uint32_t k = rnd(100);
    if (k < 30) {
        x[0] = (unsigned char)(0xB0 + rnd(0x48)), x[1] = (unsigned char)(0xA1 + rnd(0x5E)); /* GB2312 Han */
        put(b, x, 2);
    } else if (k < 45) {
        x[0] = (unsigned char)(0x81 + rnd(0x7E)), x[1] = (unsigned char)(0x40 + rnd(0xBF)); /* any pair */
        if (x[1] == 0x7F) x[1] = 0x80;
        put(b, x, 2);
    } else if (k < 60) {
        put(b, "ab c.", 1 + rnd(5));
    } else if (k < 66) {
        put(b, k & 1 ? "\r\n" : k & 2 ? "\r" : "\n", k & 1 ? 2 : 1);
    } else if (k < 72) { /* four bytes, BMP: linear index below 39420 */
        put_gb4(b, 0x81, rnd(39420));
    } else if (k < 76) { /* four bytes, supplementary planes from 90 30 81 30 */
        put_gb4(b, 0x90, rnd(0x100000));
    } else if (k < 78) {
        put(b, "\x84\x31\x95\x33", 4); /* U+FEFF */
    } else if (!allow_bad) {
        put(b, "\xd6\xd0", 2);
    } else if (k < 82) {
        put(b, k & 1 ? "\x80" : "\xff", 1);
    } else if (k < 86) {
        x[0] = (unsigned char)(0x81 + rnd(0x7E)), x[1] = (unsigned char)rnd(0x40); /* lead + low byte */
        if (!x[1]) x[1] = ' ';
        put(b, x, 2);
    } else if (k < 90) {
        put(b, "\x84\x31\xA5\x30", 4); /* four bytes beyond the BMP table */
    } else if (k < 94) {
        x[0] = (unsigned char)(0x81 + rnd(0x7E)), x[1] = (unsigned char)(0x30 + rnd(10)), x[2] = 'z'; /* cut four-byte */
        put(b, x, 3);
    } else {
        put(b, "\xE3\x32\x9A\x36", 4); /* beyond U+10FFFF */
    }
}

static void test_gb18030_vs_icu(void)
{
    buf in = {0}, want = {0};
    int bad_runs = 0, good_runs = 0;
    for (int round = 0; round < 400; round++) {
        in.n = 0;
        bool allow_bad = round % 4 == 3;
        size_t pieces = 1 + rnd(round < 200 ? 40 : 3000);
        for (size_t i = 0; i < pieces; i++) put_gb_piece(&in, allow_bad && rnd(pieces) == 0);
        if (round % 7 == 0 && in.n > 1) in.n--; /* cut at the end */
        size_t want_off = 0;
        bool ok = gb18030_reference(in.p, in.n, &want, &want_off);
        for (int lossy = 0; lossy < 2; lossy++) {
            run r = dec(in.p, in.n, "gb18030", lossy);
            if (ok) {
                good_runs++;
                CHECK(r.rc == 0 && r.doc->src_len == want.n && !memcmp(r.doc->src, want.p, want.n) &&
                          !r.doc->src[r.doc->src_len],
                      "gb18030 round %d: text differs from ICU's (%s)", round, r.rc ? r.err.message : "");
            } else if (!lossy) {
                bad_runs++;
                CHECK(r.rc != 0 && r.err.byte_offset == want_off, "gb18030 round %d: error at %zu, ICU at %zu (%s)",
                      round, r.rc ? r.err.byte_offset : 0, want_off, r.err.message);
            } else {
                CHECK(r.rc == 0 && r.doc->diag_count > 0, "gb18030 round %d: lossy without a diagnostic", round);
            }
            done(&r);
        }
    }
    CHECK(good_runs > 200 && bad_runs > 20, "gb18030 vs icu: %d good, %d bad inputs", good_runs, bad_runs);
    free(in.p);
    free(want.p);
}

/* ---- UTF-8 validation against a plain reference ----
 * decode.c checks long runs of 3-byte sequences eight at a time; defects at
 * any place in such runs must be found at the same byte as a byte-by-byte
 * check finds them. */
static size_t utf8_reference_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1, min = 0x80, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, min = 0x800, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, min = 0x10000, cp = c & 0x07;
        else return i;
        if (i + need >= n) return i; /* cut by the end */
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += need + 1;
    }
    return n;
}

static void put_utf8_piece(buf *b)
{
    static const char *const pieces[] = {"中", "文", "，", "。", "党", "\xEE\x80\x80", "\xEF\xBF\xBD", "\xE0\xA0\x80",
                                         "\xED\x9F\xBF", "é", "𠀀", "a", "1", "\n", "\r\n", "\t"};
    uint32_t k = rnd(100);
    if (k < 80) put(b, pieces[rnd(5)], 3); /* long runs of common CJK */
    else puts_(b, pieces[rnd(sizeof pieces / sizeof *pieces)]);
}

static void test_utf8_runs(void)
{
    static const char *const defects[] = {"\xE0\x80\x80", "\xED\xA0\x80", "\xE4\xB8", "\xE4\x38\xAD", "\xC0\xAF",
                                          "\xF5\x80\x80\x80", "\x80", "\xFF", "\xE4\xB8\xE4", "\xF4\x90\x80\x80"};
    buf b = {0};
    int found = 0;
    for (int round = 0; round < 600; round++) {
        b.n = 0;
        size_t pieces = 1 + rnd(round < 300 ? 60 : 2000);
        for (size_t i = 0; i < pieces; i++) put_utf8_piece(&b);
        if (round % 3 == 0) { /* a defect somewhere */
            size_t at = rnd((uint32_t)b.n + 1);
            const char *d = defects[rnd(sizeof defects / sizeof *defects)];
            buf t = {0};
            put(&t, b.p, at);
            puts_(&t, d);
            put(&t, b.p + at, b.n - at);
            free(b.p);
            b = t;
        }
        if (round % 5 == 1) put(&b, "\x01", 1); /* a stray control character */
        if (round % 7 == 2 && b.n) b.n -= 1 + rnd((uint32_t)(b.n < 3 ? b.n : 3)); /* cut at the end */
        size_t good = utf8_reference_prefix((const unsigned char *)b.p, b.n);
        run r = dec(b.p, b.n, "UTF-8", 0);
        if (good == b.n) {
            buf want = {0};
            put(&want, "", 0);
            for (size_t i = 0; i < b.n; i++) {
                if (b.p[i] == '\r') {
                    put(&want, "\n", 1);
                    if (i + 1 < b.n && b.p[i + 1] == '\n') i++;
                } else {
                    put(&want, b.p + i, 1);
                }
            }
            CHECK(r.rc == 0 && r.doc->src_len == want.n && !memcmp(r.doc->src, want.p, want.n),
                  "utf-8 round %d: valid text not kept (%s)", round, r.rc ? r.err.message : "");
            done(&r);
            r = dec(b.p, b.n, NULL, 0);
            CHECK(r.rc == 0 && !strcmp(r.doc->encoding, "UTF-8") && r.doc->src_len == want.n,
                  "utf-8 round %d: detected %s", round, r.rc ? r.err.message : r.doc->encoding);
            free(want.p);
        } else {
            found++;
            CHECK(r.rc != 0 && r.err.status == ST_ERR_DECODE && r.err.byte_offset == good,
                  "utf-8 round %d: error at %zu, want %zu (%s)", round, r.rc ? r.err.byte_offset : 0, good,
                  r.err.message);
        }
        done(&r);
    }
    CHECK(found > 100, "utf-8 runs: only %d invalid inputs", found);
    free(b.p);
}

/* two threads decoding at once get the same results */
static void *thread_main(void *arg)
{
    int *bad = arg;
    for (int i = 0; i < 200; i++) {
        run r = dec(i % 2 ? SIMP_GB : TRAD_BIG5, i % 2 ? sizeof SIMP_GB - 1 : sizeof TRAD_BIG5 - 1, NULL, 0);
        if (r.rc || strcmp(r.doc->encoding, i % 2 ? "GB18030" : "Big5") ||
            strcmp(r.doc->src, i % 2 ? SIMP : TRAD))
            (*bad)++;
        done(&r);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    int bad[4] = {0};
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, thread_main, &bad[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(bad[i] == 0, "thread %d: %d bad results", i, bad[i]);
    }
}

int main(void)
{
    test_utf8();
    test_utf8_errors();
    test_utf8_runs();
    test_lossy();
    test_utf16();
    test_legacy();
    test_forced();
    test_gb18030_vs_icu();
    test_binary();
    test_parse_api();
    test_threads();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
