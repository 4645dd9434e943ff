/* Decode stage: bytes in any supported encoding -> doc->src (UTF-8, line ends \n).
 *
 * Order of decisions:
 *   1. opt->encoding forces an encoding (any ICU converter name).
 *   2. A byte order mark: UTF-8, UTF-16LE/BE, UTF-32LE/BE.
 *   3. NUL bytes, or more than 1% C0 control characters (other than \t \n \v
 *      \f \r): UTF-16 without BOM when the text decodes as plausible UTF-16,
 *      otherwise binary data.
 *   4. Valid UTF-8 is UTF-8.
 *   5. Invalid UTF-8 that is mostly valid multi-byte UTF-8 is broken UTF-8: an
 *      error at the first bad byte, or U+FFFD with opt->lossy.
 *   6. Otherwise a heuristic chooses between GB18030 (a superset of GBK and
 *      GB2312), Big5 and BOM-less UTF-16: each decodes a sample, scored by the
 *      share of frequent Han characters and CJK punctuation against characters
 *      that real text rarely has (private use, kana, Greek, Cyrillic, box
 *      drawing, Hangul) and conversion errors. When nothing looks like Chinese,
 *      the input is broken UTF-8, unless it has no valid UTF-8 sequence at all
 *      and ICU's charset detector (ucsdet) is sure of another charset.
 *
 * UTF-8 is copied while it is validated (line ends fixed afterwards when it has
 * a CR). GB18030 is decoded, and GB18030 and Big5 samples are scored, from
 * tables of two-byte pairs that ICU fills. Other encodings go through ICU in
 * big chunks (ucnv_toUnicode) and are turned into UTF-8 by hand, which also
 * normalises line ends and tracks where U+FFFD replacements land. Error
 * offsets are offsets in the input bytes.
 * Lookup tables (frequent Han characters, GB18030 and Big5 two-byte pairs) are
 * built once per process under pthread_once and are read-only afterwards. */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/utypes.h>

/* Frequent Han characters of running Chinese text (general frequency lists plus the
 * genre), simplified and traditional forms. */
static const char st_common_han[] =
    "一七万三上下不与专且世业东两严並个中丰为主举么义之乎乏九也习书乾"
    "了争事二于五亚些亞交产京亲人什仅今仍从他代令以们件价任企伍众会传"
    "似但位低住体何作你使來例供依便保信修個們候值做備傳僅像僚價儿元先"
    "光克兒党入內全兩八公六共关兴兵其具养内再写军农决况准几出击分切划"
    "列则创初別利别到制刻則前剖創力办功加务动助努劲势勁勇動務勢包化北"
    "区医區十升半华单南即却卻历压原去参參又及双反发取受变口古另只叫召"
    "可台史号司吃各合同名后向吗吧听告员呢周命和品响員商問善單嗎器嚴四"
    "回因团困围固国图國圍圖團土在地场坚型城域執基堅報場境增壓士声处备"
    "复外多够夠大天太夫央失头奇女她好如始委子字存学孩學它守安完宗官定"
    "实客害家容密富察實寫对导将將專對導小少尔就尽局层屆届展層履山巡工"
    "差己已巴市布师希带師帶常干平年并幾广应底府度座廉廣建开式引张弱張"
    "強强当形影彻往征待很律後得從復徵德徹心必志忘快念态怎思性总息悟情"
    "想意愛感態慎懂懈應成我或战戰房所手才扎打扣执批找技把抓投护报担拉"
    "招持指按挥据排採接控推措提握揮摆擊擔據擺支收改攻放政故效敌教敢数"
    "整敵數文斗料断斯新斷方於施族无日旨早时明易星是显時更書曾最會月有"
    "朋服望期未本术机杀权李材条来東松极构析林果某查标树样核根格案條检"
    "業極構標樣樹機檢權次止正此步武歷死段殺母每比民气氣水求江決沒没河"
    "治況法泛注洁活派流济海消深清源满滿潔濟火点為炼無然煉照營爭爱父爾"
    "片牢物特率王现班現理生產用由电界留當疫病發白百的益监盡監目直相盾"
    "省看真眼眾着督矛知矩石研硬确確示社神禁离种科积称程種稱積究空穿突"
    "立站章笑第等答策筹算管節範籌米类精系紀約紅級素紧細終組結絕給統經"
    "維緊線總織繞續红约级纪线组细织终经结绕给绝统续维缺罗置署羅美群義"
    "習老考者而职联聚聯聲職聽育能自至致與興舉良色节花苏英范華营萬落著"
    "蘇處號虽融行術表被装裝西要見規視親覺觀见观规视觉解言計討記設許評"
    "話該認語說調談請論謀講證識議護讀變讓计认讨让议记讲许论设证评识话"
    "该语说请读调谈谋豐象負貫責費資質负责质贯费资走起越足距跟路践踐身"
    "車軍較輕轉车转轻较辦農边达过运近还这进远连述选逐這通造連進運過道"
    "達遠遵選還邊那部都醫采里重量金釘針鑽针钉钻長长門開間關门问间队防"
    "阿际陈降院除险陳隊随際隨險难集雖雙離難電需青非面革音響項須領頭題"
    "類顯项须领题風风飛飞養首馬驗马验體高鬥麼黃黄黑點黨";


/* ---- tables of Han characters, as bitmaps over U+4E00..U+9FFF ---- */

#define HAN_FIRST 0x4E00u
#define HAN_LAST 0x9FFFu
#define HAN_BYTES ((HAN_LAST - HAN_FIRST + 1 + 7) / 8)

typedef struct han_set {
    uint8_t bits[HAN_BYTES];
} han_set;

static void han_set_build(han_set *s, const char *utf8)
{
    memset(s->bits, 0, sizeof s->bits);
    size_t len = strlen(utf8), i = 0;
    while (i < len) {
        size_t n;
        uint32_t c = st_utf8_next(utf8 + i, len - i, &n);
        i += n ? n : 1;
        if (c >= HAN_FIRST && c <= HAN_LAST) s->bits[(c - HAN_FIRST) >> 3] |= (uint8_t)(1u << ((c - HAN_FIRST) & 7));
    }
}

/* The set of st_common_han, built once per process and read-only afterwards. */
static han_set common_han;
static pthread_once_t common_han_once = PTHREAD_ONCE_INIT;

static void build_common_han(void) { han_set_build(&common_han, st_common_han); }

static const han_set *common_han_set(void)
{
    pthread_once(&common_han_once, build_common_han);
    return &common_han;
}

static inline bool han_has(const han_set *s, uint32_t c)
{
    return c >= HAN_FIRST && c <= HAN_LAST && ((s->bits[(c - HAN_FIRST) >> 3] >> ((c - HAN_FIRST) & 7)) & 1);
}

/* ---- errors and places ---- */

__attribute__((format(printf, 6, 7)))
static int fail(st_error *err, st_status status, size_t off, size_t line, size_t col, const char *fmt, ...)
{
    if (err) {
        memset(err, 0, sizeof *err);
        err->status = status;
        err->byte_offset = off;
        err->line = line;
        err->column = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Line and column (1-based, column in characters) of the end of decoded text. */
static void out_place(const char *out, size_t n, size_t *line, size_t *col)
{
    size_t l = 1, last = 0;
    const char *p = out, *end = out + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        l++;
        p++;
        last = (size_t)(p - out);
    }
    *line = l;
    *col = st_utf8_count(out + last, n - last) + 1;
}

/* "0xE4 0xB8" for up to 8 bytes, then "…". */
static void fmt_bytes(char *buf, size_t size, const unsigned char *b, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && i < 8 && o + 6 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s0x%02X", i ? " " : "", b[i]);
    if (n > 8 && o + 5 < size) snprintf(buf + o, size - o, " …");
}

/* ---- UTF-8 ---- */

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 when it is invalid; then
 * *sub is the length of its maximal valid prefix (at least 1), which becomes one
 * U+FFFD (the Unicode "maximal subpart" practice). */
static inline size_t utf8_check(const unsigned char *s, size_t avail, size_t *sub)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c < 0xC2) {
        *sub = 1;
        return 0;
    }
    if (c < 0xE0) {
        need = 1;
    } else if (c < 0xF0) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
    } else {
        *sub = 1;
        return 0;
    }
    size_t k = 1;
    for (; k <= need && k < avail; k++) {
        if (s[k] < lo || s[k] > hi) break;
        lo = 0x80;
        hi = 0xBF;
    }
    if (k > need) return need + 1;
    *sub = k;
    return 0;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Some byte of w is below n (n <= 128). */
#define HAS_LESS(w, n) ((((w) - ONES * (n)) & ~(w) & HIGHS) != 0)
#define HAS_ZERO(w) HAS_LESS(w, 1)

/* Invalid byte runs under --lossy: adjacent bad sequences share one diagnostic. */
enum { MAX_BAD_DIAGS = 100 };

typedef struct bad_run {
    st_doc *doc;
    const char *label;
    bool open;
    size_t in_start, in_end, out_start, out_end, nbytes, nrepl;
    unsigned char bytes[8];
    size_t reported, dropped, drop_out;
} bad_run;

static void bad_flush(bad_run *r)
{
    if (!r->open) return;
    r->open = false;
    if (r->reported >= MAX_BAD_DIAGS) {
        if (!r->dropped++) r->drop_out = r->out_start;
        return;
    }
    r->reported++;
    char hex[64];
    fmt_bytes(hex, sizeof hex, r->bytes, r->nbytes);
    char count[32] = "";
    if (r->nbytes > 8) snprintf(count, sizeof count, " (%zu bytes)", r->nbytes);
    if (r->nrepl == 1)
        st_add_diag(r->doc, "invalid-bytes", r->out_start, r->out_end,
                    "invalid %s %s %s%s at byte %zu, replaced by U+FFFD", r->label,
                    r->nbytes == 1 ? "byte" : "bytes", hex, count, r->in_start);
    else
        st_add_diag(r->doc, "invalid-bytes", r->out_start, r->out_end,
                    "invalid %s bytes %s%s at byte %zu, replaced by %zu U+FFFD", r->label, hex, count,
                    r->in_start, r->nrepl);
}

/* A bad sequence of n bytes at input offset in_off became U+FFFD at out_off. */
static void bad_add(bad_run *r, size_t in_off, const unsigned char *b, size_t n, size_t out_off)
{
    if (!(r->open && r->in_end == in_off && r->out_end == out_off)) {
        bad_flush(r);
        r->open = true;
        r->in_start = r->in_end = in_off;
        r->out_start = r->out_end = out_off;
        r->nbytes = r->nrepl = 0;
    }
    for (size_t i = 0; i < n && r->nbytes + i < sizeof r->bytes; i++) r->bytes[r->nbytes + i] = b[i];
    r->nbytes += n;
    r->nrepl++;
    r->in_end += n;
    r->out_end += 3;
}

static void bad_finish(bad_run *r)
{
    bad_flush(r);
    if (r->dropped)
        st_add_diag(r->doc, "invalid-bytes", r->drop_out, r->drop_out + 3,
                    "%zu more runs of invalid %s bytes replaced by U+FFFD (not listed one by one)",
                    r->dropped, r->label);
}

/* Line and column of input offset `off` when data[0..off) is valid UTF-8. */
static bool utf8_prefix_place(const unsigned char *in, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1, i = 0;
    while (i < off) {
        size_t sub, n = utf8_check(in + i, off - i, &sub);
        if (!n) return false;
        if (in[i] == '\n' || in[i] == '\r') {
            if (in[i] == '\r' && i + 1 < off && in[i + 1] == '\n') i++;
            l++;
            c = 1;
        } else {
            c++;
        }
        i += n;
    }
    *line = l;
    *col = c;
    return true;
}

static inline bool is_bad_ctrl(uint32_t c)
{
    /* C0 controls other than \t \n \v \f \r */
    return c < 0x20 && !(c >= '\t' && c <= '\r');
}

/* Some byte of w is strictly between m and n (m < 128, n <= 128), exactly. */
#define HAS_BETWEEN(w, m, n) \
    ((((ONES * (127 + (n))) - ((w) & (ONES * 127))) & ~(w) & (((w) & (ONES * 127)) + ONES * (127 - (m))) & HIGHS) != 0)

/* 24 bytes = eight 3-byte sequences: lead 1110xxxx, then 10xxxxxx twice. The
 * byte arrays keep the words independent of byte order. */
static const unsigned char run3_mask[24] = {0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0,
                                            0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0};
static const unsigned char run3_want[24] = {0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80,
                                            0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80};

static inline uint64_t load64(const void *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Length of the run of 3-byte sequences with leads E1..EC, EE, EF (the leads
 * without special second-byte ranges) at in[0..len), in steps of eight
 * sequences (24 bytes); the caller goes on one sequence at a time. */
static size_t run3_x8(const unsigned char *in, size_t len)
{
    const uint64_t m0 = load64(run3_mask), m1 = load64(run3_mask + 8), m2 = load64(run3_mask + 16);
    const uint64_t v0 = load64(run3_want), v1 = load64(run3_want + 8), v2 = load64(run3_want + 16);
    size_t j = 0;
    for (; j + 24 <= len; j += 24) {
        uint64_t w0 = load64(in + j), w1 = load64(in + j + 8), w2 = load64(in + j + 16);
        if (((w0 & m0) ^ v0) | ((w1 & m1) ^ v1) | ((w2 & m2) ^ v2)) break;
        /* Leads are E0..EF now, continuation bytes 80..BF; E0 and ED are out.
         * In w ^ E0.. (and w ^ ED..) leads are below 16 and continuation bytes
         * at least 0x40: a byte minus 1 has its high bit set only for a 0. */
        uint64_t bad = ((w0 ^ (ONES * 0xE0)) - ONES) | ((w0 ^ (ONES * 0xED)) - ONES) |
                       ((w1 ^ (ONES * 0xE0)) - ONES) | ((w1 ^ (ONES * 0xED)) - ONES) |
                       ((w2 ^ (ONES * 0xE0)) - ONES) | ((w2 ^ (ONES * 0xED)) - ONES);
        if (bad & HIGHS) break;
    }
    return j;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* As run3_x8, in steps of sixteen sequences (48 bytes, three vectors), copied
 * to out when out is given. */
static inline __attribute__((always_inline)) size_t run3_x16(const unsigned char *in, size_t len, unsigned char *out)
{
    static const unsigned char mask[48] = {
        0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0,
        0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0,
        0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0,
        0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0, 0xF0, 0xC0, 0xC0};
    static const unsigned char want[48] = {
        0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80,
        0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80,
        0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80,
        0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80, 0xE0, 0x80, 0x80};
    const __m128i m0 = _mm_loadu_si128((const __m128i *)mask), m1 = _mm_loadu_si128((const __m128i *)(mask + 16)),
                  m2 = _mm_loadu_si128((const __m128i *)(mask + 32));
    const __m128i v0 = _mm_loadu_si128((const __m128i *)want), v1 = _mm_loadu_si128((const __m128i *)(want + 16)),
                  v2 = _mm_loadu_si128((const __m128i *)(want + 32));
    const __m128i e0 = _mm_set1_epi8((char)0xE0), ed = _mm_set1_epi8((char)0xED);
    size_t j = 0;
    for (; j + 48 <= len; j += 48) {
        __m128i a = _mm_loadu_si128((const __m128i *)(in + j));
        __m128i b = _mm_loadu_si128((const __m128i *)(in + j + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(in + j + 32));
        if (out) { /* the input byte for byte, valid or not (see utf8_block64) */
            _mm_storeu_si128((__m128i *)(out + j), a);
            _mm_storeu_si128((__m128i *)(out + j + 16), b);
            _mm_storeu_si128((__m128i *)(out + j + 32), c);
        }
        __m128i ok = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(a, m0), v0),
                                                 _mm_cmpeq_epi8(_mm_and_si128(b, m1), v1)),
                                   _mm_cmpeq_epi8(_mm_and_si128(c, m2), v2));
        if (_mm_movemask_epi8(ok) != 0xFFFF) break;
        /* leads E0 and ED have special second-byte ranges (continuation
         * bytes are never E0 or ED) */
        __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, e0), _mm_cmpeq_epi8(a, ed)),
                                   _mm_or_si128(_mm_cmpeq_epi8(b, e0), _mm_cmpeq_epi8(b, ed)));
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(c, e0), _mm_cmpeq_epi8(c, ed)));
        if (_mm_movemask_epi8(bad)) break;
    }
    return j;
}

/* Validate the 64 bytes at in (a character boundary) when they are ASCII and
 * 3-byte sequences with leads E1..EC, EE, EF (no special second-byte
 * ranges) in any mix, copying them to out when given; false when this cannot
 * vouch for them. A sequence may run past the end: *back is then how many of
 * the 64 bytes it has (the caller goes on from its lead). *cr and *ctrl as in
 * utf8_valid_prefix. */
static inline __attribute__((always_inline)) bool utf8_block64(const unsigned char *in, unsigned char *out,
                                                               size_t *back, bool *cr, bool *ctrl)
{
    const __m128i c0 = _mm_set1_epi8((char)0xC0), c20 = _mm_set1_epi8(0x20);
    /* x - 0x61 maps the leads E1..EF to 80..8E, the lowest signed bytes (ED to 8C) */
    const __m128i lead_bias = _mm_set1_epi8(0x61), lead_end = _mm_set1_epi8((char)0x8F),
                  ed = _mm_set1_epi8((char)(0xED - 0x61));
    __m128i below20 = _mm_setzero_si128();
    uint64_t high = 0, cont = 0, lead = 0; /* one bit per byte */
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(in + 16 * k));
        /* the copy is the input byte for byte, valid or not: whatever goes on
         * from here writes the same */
        if (out) _mm_storeu_si128((__m128i *)(out + 16 * k), x);
        __m128i v = _mm_sub_epi8(x, lead_bias);
        __m128i lead3 = _mm_andnot_si128(_mm_cmpeq_epi8(v, ed), _mm_cmpgt_epi8(lead_end, v));
        high |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << 16 * k;
        cont |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(c0, x)) << 16 * k; /* 80..BF */
        lead |= (uint64_t)(unsigned)_mm_movemask_epi8(lead3) << 16 * k;
        below20 = _mm_or_si128(below20, _mm_subs_epu8(c20, x)); /* nonzero for bytes below 0x20 */
    }
    /* Each lead asks for continuation bytes right after it: lead * 6 is
     * lead << 1 | lead << 2 when the leads are 3 or more apart, and otherwise
     * has a bit on the second of two close leads, which then fails the test.
     * Every high byte must be a lead or an asked-for continuation byte. */
    if ((cont ^ lead * 6) | (high ^ cont ^ lead)) return false;
    const __m128i zero = _mm_setzero_si128();
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(below20, zero)) != 0xFFFF) {
        /* bytes below 0x20, mostly line ends */
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(in + 16 * k));
            unsigned low = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(c20, x), zero)) & 0xFFFF;
            for (; low; low &= low - 1) {
                unsigned char c = in[16 * k + (size_t)__builtin_ctz(low)];
                *cr |= c == '\r';
                *ctrl |= is_bad_ctrl(c);
            }
        }
    }
    *back = lead >> 63 ? 1 : (lead >> 62) & 1 ? 2 : 0;
    return true;
}
#endif

/* Length of the longest valid UTF-8 prefix of in[0..len), copied to out[0..)
 * on the way when out is given; *has_cr tells whether that prefix holds a CR,
 * *has_ctrl whether it holds a NUL or a C0 control other than \t \n \v \f \r
 * (what scan_bytes counts). */
static inline __attribute__((always_inline)) size_t utf8_prefix(const unsigned char *in, size_t len,
                                                                unsigned char *out, bool *has_cr, bool *has_ctrl)
{
    size_t i = 0;
    bool cr = false, ctrl = false;
    while (i < len) {
#ifdef __SSE2__
        /* runs of 3-byte sequences, then a block of anything common, ... */
        for (;;) {
            if (in[i] >= 0xE1) i += run3_x16(in + i, len - i, out ? out + i : NULL);
            size_t back;
            if (len - i < 64 || !utf8_block64(in + i, out ? out + i : NULL, &back, &cr, &ctrl)) break;
            i += 64 - back;
            if (i == len) goto done;
        }
        /* one character or run at a time past the block the fast path stopped at */
        size_t until = len - i > 64 ? i + 64 : len;
#else
        size_t until = len;
#endif
        while (i < until) {
            unsigned char c = in[i];
            if (c < 0x80) {
                /* an ASCII run, 8 bytes at a time */
                cr |= c == '\r';
                ctrl |= is_bad_ctrl(c);
                if (out) out[i] = c;
                i++;
                while (i + 8 <= len) {
                    uint64_t w;
                    memcpy(&w, in + i, 8);
                    if (w & HIGHS) break;
                    if (HAS_LESS(w, 0x20)) { /* a line end, or a control character */
                        cr |= HAS_ZERO(w ^ (ONES * '\r'));
                        ctrl |= HAS_LESS(w, '\t') || HAS_BETWEEN(w, '\r', 0x20);
                    }
                    if (out) memcpy(out + i, &w, 8);
                    i += 8;
                }
                continue;
            }
            /* the common case of CJK text: a run of 3-byte sequences with leads
             * E1..EC, EE, EF (no special second-byte ranges), eight at a time,
             * then one word each */
            if (c >= 0xE1) {
                size_t j = i + run3_x8(in + i, len - i);
                while (j + 4 <= len) {
                    uint32_t w = (uint32_t)in[j] | (uint32_t)in[j + 1] << 8 | (uint32_t)in[j + 2] << 16;
                    if ((w & 0xC0C0F0u) != 0x8080E0u || (w & 0xFFu) == 0xE0u || (w & 0xFFu) == 0xEDu) break;
                    j += 3;
                }
                if (j > i) {
                    if (out) memcpy(out + i, in + i, j - i);
                    i = j;
                    continue;
                }
            }
            size_t sub, n = utf8_check(in + i, len - i, &sub);
            if (!n) goto done;
            if (out)
                for (size_t k = 0; k < n; k++) out[i + k] = in[i + k];
            i += n;
        }
    }
done:
    *has_cr = cr;
    *has_ctrl = ctrl;
    return i;
}

/* utf8_prefix without the copy. */
static size_t utf8_valid_prefix(const unsigned char *in, size_t len, bool *has_cr, bool *has_ctrl)
{
    return utf8_prefix(in, len, NULL, has_cr, has_ctrl);
}

/* Copy in[0..len) to out turning CRLF and CR into LF; returns the length. */
static size_t copy_lines(char *out, const unsigned char *in, size_t len)
{
    size_t i = 0, o = 0;
    while (i < len) {
        const unsigned char *cr = memchr(in + i, '\r', len - i);
        size_t n = cr ? (size_t)(cr - in) - i : len - i;
        memcpy(out + o, in + i, n);
        o += n;
        i += n;
        if (!cr) break;
        out[o++] = '\n';
        i++;
        if (i < len && in[i] == '\n') i++;
    }
    return o;
}

/* Valid UTF-8 in[0..len) into doc->src: one copy, line ends fixed when it has
 * a CR. */
static int utf8_copy(st_doc *doc, const unsigned char *in, size_t len, bool has_cr, st_error *err)
{
    char *out = malloc(len + 1);
    if (!out) return fail(err, ST_ERR_NOMEM, 0, 0, 0, "out of memory (%zu bytes)", len + 1);
    size_t o = len;
    if (has_cr) o = copy_lines(out, in, len);
    else memcpy(out, in, len);
    out[o] = 0;
    doc->src = out;
    doc->src_len = o;
    return 0;
}

/* Decode UTF-8 in[0..len) into doc->src; `base` is the input offset of in[0]
 * (after a BOM). CRLF and CR become LF. Returns 0, or -1 with *err filled. */
static int decode_utf8(st_doc *doc, const unsigned char *in, size_t len, size_t base, bool lossy,
                       const char *suffix, st_error *err)
{
    bool has_cr, has_ctrl;
    size_t good = utf8_valid_prefix(in, len, &has_cr, &has_ctrl);
    if (good == len) return utf8_copy(doc, in, len, has_cr, err);
    if (!lossy) {
        size_t i = good, sub = 1, line = 0, col = 0;
        unsigned char c = in[i];
        utf8_check(in + i, len - i, &sub);
        utf8_prefix_place(in, good, &line, &col);
        char hex[64];
        fmt_bytes(hex, sizeof hex, in + i, sub);
        if (i + sub == len && c >= 0xC2 && c <= 0xF4)
            return fail(err, ST_ERR_DECODE, base + i, line, col,
                        "incomplete UTF-8 sequence %s at the end of the input, byte %zu "
                        "(line %zu, column %zu)%s",
                        hex, base + i, line, col, suffix);
        if (sub == 1)
            return fail(err, ST_ERR_DECODE, base + i, line, col,
                        "invalid UTF-8 byte 0x%02X at byte %zu (line %zu, column %zu)%s", c, base + i, line,
                        col, suffix);
        return fail(err, ST_ERR_DECODE, base + i, line, col,
                    "incomplete UTF-8 sequence %s at byte %zu (line %zu, column %zu)%s", hex, base + i, line,
                    col, suffix);
    }

    /* --lossy: the slow path, byte by byte */
    size_t cap = len + len / 4 + 16;
    char *out = malloc(cap);
    if (!out) return fail(err, ST_ERR_NOMEM, 0, 0, 0, "out of memory (%zu bytes)", cap);
    size_t i = 0, o = 0;
    bad_run run = {.doc = doc, .label = "UTF-8"};
    while (i < len) {
        unsigned char c = in[i];
        if (c < 0x80) {
            if (c == '\r') {
                out[o++] = '\n';
                i++;
                if (i < len && in[i] == '\n') i++;
            } else {
                out[o++] = (char)c;
                i++;
            }
            continue;
        }
        size_t sub = 0, n = utf8_check(in + i, len - i, &sub);
        if (n) {
            memcpy(out + o, in + i, n);
            o += n;
            i += n;
            continue;
        }
        /* U+FFFD is 3 bytes where the bad sequence may be 1 */
        size_t need = o + 3 + (len - i - sub) + 1;
        if (need > cap) {
            size_t nc = cap + cap / 2 > need ? cap + cap / 2 : need;
            char *p = realloc(out, nc);
            if (!p) {
                free(out);
                return fail(err, ST_ERR_NOMEM, 0, 0, 0, "out of memory (%zu bytes)", nc);
            }
            out = p;
            cap = nc;
        }
        bad_add(&run, base + i, in + i, sub, o);
        memcpy(out + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += sub;
    }
    bad_finish(&run);
    out[o] = 0;
    doc->src = out;
    doc->src_len = o;
    return 0;
}

/* Turn CRLF and CR into LF in s[0..len), in place; returns the new length. */
static size_t fix_line_ends(char *s, size_t len)
{
    char *cr = memchr(s, '\r', len);
    if (!cr) return len;
    size_t i = (size_t)(cr - s), o = i;
    while (i < len) { /* s[i] is a CR */
        s[o++] = '\n';
        i++;
        if (i < len && s[i] == '\n') i++;
        cr = memchr(s + i, '\r', len - i);
        size_t n = cr ? (size_t)(cr - s) - i : len - i;
        memmove(s + o, s + i, n);
        o += n;
        i += n;
    }
    return o;
}

/* When in[0..len) is valid UTF-8 without NUL bytes or control characters
 * (other than \t \n \v \f \r), copies it into doc->src (*rc: 0, or -1 when
 * out of memory) and returns true: nothing the binary check or the UTF-8
 * error paths look at is there. It is copied while it is validated. */
static bool utf8_clean_copy(st_doc *doc, const unsigned char *in, size_t len, int *rc, st_error *err)
{
    bool has_cr, has_ctrl;
    char *out = malloc(len + 1);
    if (!out) { /* validate first, as the copy may not be needed */
        if (utf8_valid_prefix(in, len, &has_cr, &has_ctrl) != len || has_ctrl) return false;
        *rc = utf8_copy(doc, in, len, has_cr, err);
        return true;
    }
    if (utf8_prefix(in, len, (unsigned char *)out, &has_cr, &has_ctrl) != len || has_ctrl) {
        free(out);
        return false;
    }
    size_t o = has_cr ? fix_line_ends(out, len) : len;
    out[o] = 0;
    doc->src = out;
    doc->src_len = o;
    *rc = 0;
    return true;
}

/* Where utf8_census stops counting when it starts at fh. */
static size_t census_stop(size_t fh, size_t len)
{
    return len - fh > (1u << 20) ? fh + (1u << 20) : len;
}

/* Count valid multi-byte UTF-8 sequences and invalid ones in the first MB from
 * the first byte >= 0x80 (returned in *first_high). With `settle`, it may stop
 * early, once the rest cannot make valid >= 4 * invalid (the counts then are
 * partial, and valid < 4 * invalid holds for them too); returns whether it
 * counted everything. */
static bool utf8_census(const unsigned char *in, size_t len, bool settle, size_t *valid, size_t *invalid,
                        size_t *first_high)
{
    size_t v = 0, bad = 0, fh = 0;
    while (fh < len && in[fh] < 0x80) fh++;
    size_t i = fh, stop = census_stop(fh, len);
    bool complete = true;
    while (i < stop) {
        unsigned c = in[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t sub = 1, n = c - 0xC2u <= 0xF4u - 0xC2u ? utf8_check(in + i, len - i, &sub) : 0;
        if (n) {
            v++;
            i += n;
            continue;
        }
        bad++;
        i += sub;
        /* a valid sequence has at least 2 bytes, and starts before `stop` */
        if (settle && 4 * bad > v + (stop - i) / 2 + 2) {
            complete = false;
            break;
        }
    }
    *valid = v;
    *invalid = bad;
    *first_high = fh;
    return complete;
}

/* Offset of the first byte >= 0x80 in in[0..len), or len. */
static size_t first_high(const unsigned char *in, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        if (w & HIGHS) break;
    }
    while (i < len && in[i] < 0x80) i++;
    return i;
}

/* ---- binary data ---- */

typedef struct ctrl_scan {
    bool has_nul;
    size_t first_nul, first_ctrl, ctrl;
    uint32_t ctrl_char;
} ctrl_scan;

static inline void ctrl_note(ctrl_scan *r, uint32_t c, size_t off)
{
    if (c == 0) {
        if (!r->has_nul) {
            r->has_nul = true;
            r->first_nul = off;
        }
    } else if (is_bad_ctrl(c)) {
        if (!r->ctrl++) {
            r->first_ctrl = off;
            r->ctrl_char = c;
        }
    }
}

/* Bytes of an ASCII-compatible encoding: no multi-byte character has a byte
 * below 0x20 in UTF-8, GB18030, GBK or Big5. This goes on from p[i] with r as
 * it is. */
static void scan_bytes_from(const unsigned char *p, size_t len, size_t i, size_t base, bool allow_esc, ctrl_scan *r)
{
#ifdef __SSE2__
    /* 32 bytes at a time: the bytes below 0x20 (mostly line ends) one by one */
    const __m128i c1f = _mm_set1_epi8(0x1F);
    for (; len - i >= 32; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + i)), b = _mm_loadu_si128((const __m128i *)(p + i + 16));
        __m128i low_a = _mm_cmpeq_epi8(_mm_min_epu8(a, c1f), a), low_b = _mm_cmpeq_epi8(_mm_min_epu8(b, c1f), b);
        uint32_t low = (uint32_t)_mm_movemask_epi8(low_a) | (uint32_t)_mm_movemask_epi8(low_b) << 16;
        for (; low; low &= low - 1) {
            size_t k = i + (size_t)__builtin_ctz(low);
            if (!(allow_esc && p[k] == 0x1B)) ctrl_note(r, p[k], base + k);
        }
    }
#endif
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (!HAS_LESS(w, 0x20)) continue;
        for (size_t k = 0; k < 8; k++)
            if (p[i + k] < 0x20 && !(allow_esc && p[i + k] == 0x1B)) ctrl_note(r, p[i + k], base + i + k);
    }
    for (; i < len; i++)
        if (p[i] < 0x20 && !(allow_esc && p[i] == 0x1B)) ctrl_note(r, p[i], base + i);
}

static void scan_bytes(const unsigned char *p, size_t len, size_t base, bool allow_esc, ctrl_scan *r)
{
    memset(r, 0, sizeof *r);
    scan_bytes_from(p, len, 0, base, allow_esc, r);
}

/* scan_bytes(in, len, 0, false, r), and on the same loads whether
 * utf8_census would find valid < 4 * invalid, from two counts over
 * in[fh..stop): each byte >= 0xC0 starts a sequence (valid or invalid: it is
 * never a continuation byte), and each valid multi-byte sequence starts with a
 * byte >= 0xC0 followed by 80..BF. With `starts` and `valid_max` those counts,
 * valid <= valid_max and invalid >= starts - valid, so 5 * valid_max < 4 *
 * starts proves it. False means nothing: the census has to count. */
static bool scan_bytes_census(const unsigned char *in, size_t len, size_t fh, ctrl_scan *r)
{
    size_t stop = census_stop(fh, len), i = 0, starts = 0, valid_max = 0;
    memset(r, 0, sizeof *r);
#ifdef __SSE2__
    /* 32 bytes at a time from 0 (the bytes before fh are ASCII: they count
     * nothing) to stop, while the byte after them is in the input */
    const __m128i bf = _mm_set1_epi8((char)0xBF), c0 = _mm_set1_epi8((char)0xC0), c1f = _mm_set1_epi8(0x1F),
                  one = _mm_set1_epi8(1), zero = _mm_setzero_si128();
    size_t end = stop < len ? stop : len ? len - 1 : 0;
    while (end - i >= 32) {
        /* per-byte counters (up to 2 a step), summed before they can wrap */
        size_t n = (end - i) / 32 < 127 ? (end - i) / 32 : 127;
        __m128i n_starts = zero, n_valid = zero;
        for (; n; n--, i += 32) {
            __m128i a = _mm_loadu_si128((const __m128i *)(in + i)), b = _mm_loadu_si128((const __m128i *)(in + i + 16));
            __m128i a1 = _mm_loadu_si128((const __m128i *)(in + i + 1)),
                    b1 = _mm_loadu_si128((const __m128i *)(in + i + 17));
            __m128i start_a = _mm_min_epu8(_mm_subs_epu8(a, bf), one); /* 1 where a byte is >= 0xC0, else 0 */
            __m128i start_b = _mm_min_epu8(_mm_subs_epu8(b, bf), one);
            n_starts = _mm_add_epi8(n_starts, _mm_add_epi8(start_a, start_b));
            /* ... and the next byte is 80..BF (below 0xC0 as signed) */
            n_valid = _mm_add_epi8(n_valid, _mm_add_epi8(_mm_and_si128(start_a, _mm_cmpgt_epi8(c0, a1)),
                                                         _mm_and_si128(start_b, _mm_cmpgt_epi8(c0, b1))));
            __m128i low_a = _mm_cmpeq_epi8(_mm_min_epu8(a, c1f), a), low_b = _mm_cmpeq_epi8(_mm_min_epu8(b, c1f), b);
            uint32_t low = (uint32_t)_mm_movemask_epi8(low_a) | (uint32_t)_mm_movemask_epi8(low_b) << 16;
            for (; low; low &= low - 1) {
                size_t k = i + (size_t)__builtin_ctz(low);
                ctrl_note(r, in[k], k);
            }
        }
        __m128i s = _mm_sad_epu8(n_starts, zero), v = _mm_sad_epu8(n_valid, zero);
        starts += (size_t)_mm_cvtsi128_si32(s) + (size_t)_mm_extract_epi16(s, 4);
        valid_max += (size_t)_mm_cvtsi128_si32(v) + (size_t)_mm_extract_epi16(v, 4);
    }
#endif
    for (size_t j = i > fh ? i : fh; j < stop; j++) {
        if (in[j] < 0xC0) continue;
        starts++;
        if (j + 1 < len && in[j + 1] - 0x80u < 0x40u) valid_max++;
    }
    scan_bytes_from(in, len, i, 0, false, r);
    return 5 * valid_max < 4 * starts;
}

/* Code units of UTF-16 (size 2) or UTF-32 (size 4). */
static void scan_units(const unsigned char *p, size_t len, size_t base, int size, bool be, ctrl_scan *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i + (size_t)size <= len; i += (size_t)size) {
        uint32_t v;
        if (size == 2) v = be ? (uint32_t)p[i] << 8 | p[i + 1] : (uint32_t)p[i + 1] << 8 | p[i];
        else if (be) v = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
        else v = (uint32_t)p[i + 3] << 24 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 1] << 8 | p[i];
        if (v < 0x20) ctrl_note(r, v, base + i);
    }
}

/* Fails with ST_ERR_BINARY on a NUL or on a high share of control characters.
 * `in` is the whole input, for places when the prefix is UTF-8. */
static int check_binary(const ctrl_scan *r, size_t len, const unsigned char *in, bool ascii_compat, st_error *err)
{
    size_t line = 0, col = 0;
    char where[64] = "";
    if (r->has_nul) {
        if (ascii_compat && utf8_prefix_place(in, r->first_nul, &line, &col))
            snprintf(where, sizeof where, " (line %zu, column %zu)", line, col);
        else
            line = col = 0;
        return fail(err, ST_ERR_BINARY, r->first_nul, line, col,
                    "binary data (NUL %s) at byte %zu%s: not a text file", ascii_compat ? "byte" : "character",
                    r->first_nul, where);
    }
    /* a few stray controls are tolerated; more than 1% of the input is junk */
    if (r->ctrl >= 3 && r->ctrl * 100 > len) {
        if (ascii_compat && utf8_prefix_place(in, r->first_ctrl, &line, &col))
            snprintf(where, sizeof where, " (line %zu, column %zu)", line, col);
        else
            line = col = 0;
        return fail(err, ST_ERR_BINARY, r->first_ctrl, line, col,
                    "binary data (control character 0x%02X) at byte %zu%s: %zu control characters "
                    "in %zu bytes, not a text file",
                    (unsigned)r->ctrl_char, r->first_ctrl, where, r->ctrl, len);
    }
    return 0;
}

/* ---- ICU ---- */

/* UTF-8 output being built from UTF-16 chunks. */
typedef struct u8out {
    char *p;
    size_t len, cap;
    uint32_t hi;     /* pending high surrogate */
    bool cr;         /* last character was CR (emitted as LF) */
    bool started;    /* some character was seen: a later U+FEFF is kept */
} u8out;

static void u8_reserve(u8out *o, size_t extra)
{
    o->p = st_grow(o->p, &o->cap, o->len + extra + 1, 1);
}

static inline unsigned char *put_fffd(unsigned char *p)
{
    p[0] = 0xEF;
    p[1] = 0xBF;
    p[2] = 0xBD;
    return p + 3;
}

static inline unsigned char *put_4(unsigned char *p, uint32_t c)
{
    p[0] = (unsigned char)(0xF0 | (c >> 18));
    p[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    p[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    p[3] = (unsigned char)(0x80 | (c & 0x3F));
    return p + 4;
}

static inline unsigned char *put_utf8(unsigned char *p, uint32_t c)
{
    if (c < 0x800) {
        p[0] = (unsigned char)(0xC0 | (c >> 6));
        p[1] = (unsigned char)(0x80 | (c & 0x3F));
        return p + 2;
    }
    if (c < 0x10000) {
        p[0] = (unsigned char)(0xE0 | (c >> 12));
        p[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (unsigned char)(0x80 | (c & 0x3F));
        return p + 3;
    }
    return put_4(p, c);
}

/* Append UTF-16 units as UTF-8, CRLF and CR as LF. State lives in locals in
 * the loop (stores through p may alias *o). */
static void u8_append(u8out *o, const UChar *u, size_t n)
{
    if (!n) return;
    u8_reserve(o, 3 * n + 4);
    size_t k = 0;
    unsigned char *p = (unsigned char *)o->p + o->len;
    bool cr = o->cr;
    if (!o->started) {
        o->started = true;
        if (u[0] == 0xFEFF) k = 1; /* a byte order mark */
    }
    if (o->hi) { /* a pair split between chunks */
        uint32_t h = o->hi;
        o->hi = 0;
        cr = false;
        if (k < n && u[k] >= 0xDC00 && u[k] <= 0xDFFF) {
            p = put_4(p, 0x10000 + ((h - 0xD800) << 10) + (u[k] - 0xDC00u));
            k++;
        } else {
            p = put_fffd(p);
        }
    }
    for (; k < n; k++) {
        uint32_t c = u[k];
        if (c >= 0x800) {
            cr = false;
            if (c - 0xD800u >= 0x800u) {
                p[0] = (unsigned char)(0xE0 | (c >> 12));
                p[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                p[2] = (unsigned char)(0x80 | (c & 0x3F));
                p += 3;
            } else if (c <= 0xDBFF && k + 1 == n) {
                o->hi = c; /* its pair comes with the next chunk */
            } else if (c <= 0xDBFF && u[k + 1] >= 0xDC00 && u[k + 1] <= 0xDFFF) {
                p = put_4(p, 0x10000 + ((c - 0xD800) << 10) + (u[k + 1] - 0xDC00u));
                k++;
            } else {
                p = put_fffd(p); /* unpaired surrogate */
            }
        } else if (c >= 0x80) {
            cr = false;
            p[0] = (unsigned char)(0xC0 | (c >> 6));
            p[1] = (unsigned char)(0x80 | (c & 0x3F));
            p += 2;
        } else if (c == '\n' && cr) {
            cr = false;
        } else {
            cr = c == '\r';
            *p++ = cr ? '\n' : (unsigned char)c;
        }
    }
    o->cr = cr;
    o->len = (size_t)(p - (unsigned char *)o->p);
}

static void u8_flush_hi(u8out *o)
{
    if (!o->hi) return;
    o->hi = 0;
    u8_reserve(o, 3);
    put_fffd((unsigned char *)o->p + o->len);
    o->len += 3;
}

static bool is_conv_error(UErrorCode e)
{
    return e == U_ILLEGAL_CHAR_FOUND || e == U_INVALID_CHAR_FOUND || e == U_TRUNCATED_CHAR_FOUND;
}

enum { CHUNK_UCHARS = 64 * 1024 };

/* Decode data[0..len) with an open converter into doc->src; `base` is the input
 * offset of data[0]. A leading U+FEFF is dropped. */
static int decode_icu(st_doc *doc, UConverter *cnv, const char *data, size_t len, size_t base,
                      bool lossy, const char *label, const char *suffix, st_error *err)
{
    UErrorCode e = U_ZERO_ERROR;
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    ucnv_resetToUnicode(cnv);
    if (U_FAILURE(e)) return fail(err, ST_ERR_ENCODING, 0, 0, 0, "ICU: %s", u_errorName(e));
    UChar *chunk = malloc(CHUNK_UCHARS * sizeof *chunk);
    if (!chunk) return fail(err, ST_ERR_NOMEM, 0, 0, 0, "out of memory");
    u8out o = {0};
    o.started = base > 0; /* a byte order mark was consumed already: a second U+FEFF is text */
    u8_reserve(&o, len + len / 2 + 16);
    bad_run run = {.doc = doc, .label = label};
    const char *s = data, *lim = data + len;
    int rc = 0;
    for (;;) {
        UChar *t = chunk;
        e = U_ZERO_ERROR;
        ucnv_toUnicode(cnv, &t, chunk + CHUNK_UCHARS, &s, lim, NULL, true, &e);
        u8_append(&o, chunk, (size_t)(t - chunk));
        if (e == U_BUFFER_OVERFLOW_ERROR) continue;
        if (U_SUCCESS(e)) break;
        if (!is_conv_error(e)) {
            rc = fail(err, ST_ERR_DECODE, base + (size_t)(s - data), 0, 0, "%s conversion failed: %s",
                      label, u_errorName(e));
            break;
        }
        unsigned char bad[32];
        int8_t bn = (int8_t)sizeof bad;
        UErrorCode e2 = U_ZERO_ERROR;
        ucnv_getInvalidChars(cnv, (char *)bad, &bn, &e2);
        if (U_FAILURE(e2) || bn < 0) bn = 0;
        size_t done = (size_t)(s - data);
        size_t nb = (size_t)bn <= done ? (size_t)bn : done;
        size_t off = base + done - nb;
        u8_flush_hi(&o);
        if (!lossy) {
            size_t line, col;
            out_place(o.p, o.len, &line, &col);
            char hex[64];
            fmt_bytes(hex, sizeof hex, bad, nb);
            if (e == U_TRUNCATED_CHAR_FOUND)
                rc = fail(err, ST_ERR_DECODE, off, line, col,
                          "incomplete %s sequence %s at the end of the input, byte %zu "
                          "(line %zu, column %zu)%s",
                          label, hex, off, line, col, suffix);
            else
                rc = fail(err, ST_ERR_DECODE, off, line, col,
                          "invalid %s %s %s at byte %zu (line %zu, column %zu)%s", label,
                          nb == 1 ? "byte" : "bytes", hex, off, line, col, suffix);
            break;
        }
        u8_reserve(&o, 3);
        bad_add(&run, off, bad, nb, o.len);
        put_fffd((unsigned char *)o.p + o.len);
        o.len += 3;
        o.cr = false;
        o.started = true;
    }
    free(chunk);
    if (rc) {
        free(o.p);
        return rc;
    }
    u8_flush_hi(&o);
    bad_finish(&run);
    o.p[o.len] = 0;
    if (o.cap > o.len + 4096 && o.cap / 8 > o.len / 7) {
        char *q = realloc(o.p, o.len + 1);
        if (q) o.p = q;
    }
    doc->src = o.p;
    doc->src_len = o.len;
    return 0;
}

/* A readable, library-owned (static) name for a converter's canonical name. */
static const char *nice_name(const char *canon)
{
    static const char *const ours[] = {"UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE",
                                       "GB18030", "Big5"};
    UErrorCode e = U_ZERO_ERROR;
    const char *n = ucnv_getStandardName(canon, "MIME", &e);
    if (!n || U_FAILURE(e)) {
        e = U_ZERO_ERROR;
        n = ucnv_getStandardName(canon, "IANA", &e);
    }
    if (!n || U_FAILURE(e)) {
        e = U_ZERO_ERROR;
        n = ucnv_getAlias(canon, 0, &e);
    }
    if (!n || U_FAILURE(e)) return "unknown";
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (!strcasecmp(n, ours[i])) return ours[i];
    return n;
}

/* ---- detection ---- */

enum { SAMPLE_BYTES = 8 * 1024 }; /* ~4000 Chinese characters: ample to tell encodings apart */

typedef struct score_acc {
    size_t chars, nonascii, common, weird, errors, ascii_text;
} score_acc;

/* What a decoded character counts as in a score (see score_cp). */
enum score_class { SC_TEXT, SC_CONTROL, SC_COMMON, SC_WEIRD, SC_OTHER, SC_COUNT };

static inline enum score_class score_class_of(const han_set *common, uint32_t c)
{
    if (c < 0x80) return c >= 0x20 || (c >= '\t' && c <= '\r') ? SC_TEXT : SC_CONTROL;
    if (han_has(common, c) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF5E) ||
        (c >= 0x2010 && c <= 0x2027) || c == 0xB7 || (c >= 0x2460 && c <= 0x2473))
        return SC_COMMON;
    if ((c >= 0x80 && c <= 0x9F) ||     /* C1 controls */
        (c >= 0x100 && c <= 0x52F) ||   /* Latin extended, IPA, Greek, Cyrillic */
        (c >= 0x1100 && c <= 0x11FF) || /* Hangul jamo */
        (c >= 0x2500 && c <= 0x257F) || /* box drawing */
        (c >= 0x3040 && c <= 0x30FF) || /* kana */
        (c >= 0x3130 && c <= 0x318F) || (c >= 0xAC00 && c <= 0xD7AF) || /* Hangul */
        (c >= 0xD800 && c <= 0xF8FF) || /* surrogates, private use */
        c == 0xFFFD || c >= 0xF0000)
        return SC_WEIRD;
    return SC_OTHER;
}

/* Adds counts per class (the table-driven scorers count classes) to *a. */
static void score_add_classes(score_acc *a, const size_t n[SC_COUNT])
{
    a->chars += n[SC_TEXT] + n[SC_CONTROL] + n[SC_COMMON] + n[SC_WEIRD] + n[SC_OTHER];
    a->ascii_text += n[SC_TEXT];
    a->nonascii += n[SC_COMMON] + n[SC_WEIRD] + n[SC_OTHER];
    a->common += n[SC_COMMON];
    a->weird += n[SC_CONTROL] + n[SC_WEIRD];
}

static inline void score_cp(score_acc *a, const han_set *common, uint32_t c)
{
    a->chars++;
    switch (score_class_of(common, c)) {
    case SC_TEXT: a->ascii_text++; break;
    case SC_CONTROL: a->weird++; break;
    case SC_COMMON: a->nonascii++; a->common++; break;
    case SC_WEIRD: a->nonascii++; a->weird++; break;
    default: a->nonascii++; break;
    }
}

/* Frequent characters raise the score, rare scripts and errors lower it. */
static double score_of(const score_acc *a)
{
    size_t den = a->nonascii + a->errors;
    if (!den) return 0;
    return ((double)a->common - (double)a->weird - 3.0 * (double)a->errors) / (double)den;
}

/* Confidence in `best` against the runner-up; 99 at most. Never rises when
 * `second` does. */
static int confidence_of(double best, double second)
{
    if (second < 0) second = 0;
    double a = best / 0.5, m = (best - second) / 0.4;
    if (a > 1) a = 1;
    if (a < 0) a = 0;
    if (m > 1) m = 1;
    if (m < 0) m = 0;
    int c = (int)(100 * (0.5 * a + 0.5 * m) + 0.5);
    return c > 99 ? 99 : c < 1 ? 1 : c;
}

/* Decode a sample with ICU converter `name`, counting errors, and score it. */
static void score_icu(const char *name, const char *data, size_t n, bool flush, const han_set *common,
                      score_acc *a)
{
    memset(a, 0, sizeof *a);
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &e);
    if (U_FAILURE(e) || !cnv) {
        a->errors = n ? n : 1;
        return;
    }
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    UChar buf[4096];
    const char *s = data, *lim = data + n;
    uint32_t hi = 0;
    for (;;) {
        UChar *t = buf;
        e = U_ZERO_ERROR;
        ucnv_toUnicode(cnv, &t, buf + sizeof buf / sizeof *buf, &s, lim, NULL, flush, &e);
        for (UChar *q = buf; q < t; q++) {
            uint32_t c = *q;
            if (hi) {
                if (c >= 0xDC00 && c <= 0xDFFF) {
                    score_cp(a, common, 0x10000 + ((hi - 0xD800) << 10) + (c - 0xDC00));
                    hi = 0;
                    continue;
                }
                score_cp(a, common, 0xFFFD);
                hi = 0;
            }
            if (c >= 0xD800 && c <= 0xDBFF) hi = c;
            else score_cp(a, common, c);
        }
        if (e == U_BUFFER_OVERFLOW_ERROR) continue;
        if (is_conv_error(e)) {
            a->errors++;
            continue;
        }
        break;
    }
    ucnv_close(cnv);
}

/* ---- GB18030 and Big5 from tables ----
 *
 * Both are stateless multi-byte encodings over ASCII: a byte below 0x80 is
 * itself, a lead byte 0x81..0xFE and a trail byte make one character, and
 * GB18030 also has four-byte sequences (lead, digit, lead, digit). ICU fills a
 * table of the two-byte pairs once per process, so the characters are ICU's;
 * four-byte sequences are asked from ICU one at a time (they are rare). For
 * anything else (bytes ICU rejects, a sequence cut by the end, an unexpected
 * answer from ICU) the caller falls back to ICU for the whole input: output,
 * errors and places are ICU's in every case. */

/* A table entry: the character's UTF-8 (2 or 3 bytes, the first one in the low
 * bits, so bit 7 is set), its UTF-8 length, and whether its score class is
 * SC_COMMON or SC_WEIRD (else SC_OTHER: it is never ASCII); 0 when the fast
 * paths leave the bytes to ICU. entry >> ENTRY_FLAGS_SHIFT is 1 for
 * SC_COMMON, 8 for SC_WEIRD, so the sum over four entries tells both counts. */
enum { ENTRY_MARK = 0x80, ENTRY_LEN_SHIFT = 24, ENTRY_FLAGS_SHIFT = 26 };

static inline unsigned entry_len(uint32_t e) { return (e >> ENTRY_LEN_SHIFT) & 3; }
static inline unsigned entry_flags(uint32_t e) { return e >> ENTRY_FLAGS_SHIFT; }
static inline unsigned entry_class(uint32_t e)
{
    return entry_flags(e) == 1 ? SC_COMMON : entry_flags(e) == 8 ? SC_WEIRD : SC_OTHER;
}

/* For a sum s of up to four entry_flags: SC_COMMON and SC_WEIRD counts in
 * the low and the high half of a word, to add up a run (filled once). */
static uint64_t flags_tally[33];

/* Adds a run of `pairs` pairs with tally t to the counts per class. */
static inline void add_tally(size_t *cnt, uint64_t t, size_t pairs)
{
    size_t common = (uint32_t)t, weird = (size_t)(t >> 32);
    cnt[SC_COMMON] += common;
    cnt[SC_WEIRD] += weird;
    cnt[SC_OTHER] += pairs - common - weird;
}

typedef struct mb_table {
    bool usable;
    bool four_byte;             /* GB18030: lead, digit, lead, digit */
    bool common_alone;          /* some byte 0x80..0xFF alone may be a frequent character */
    bool multi_unit_pairs;      /* some pair is more than one UTF-16 unit */
    uint32_t pairs[256 * 256];  /* [lead | trail << 8]; 0 for leads below 0x80 */
    uint32_t single[128];       /* bytes 0x80..0xFF that are a character alone */
    bool lead[128];             /* bytes 0x80..0xFF that start a pair */
} mb_table;

/* The entry of the pair at p[0], p[1]. */
static inline uint32_t pair_at(const uint32_t *pairs, const unsigned char *p)
{
    return pairs[p[0] | (unsigned)p[1] << 8];
}

/* The UTF-8 bytes of an entry, plus one byte that the next character overwrites. */
static inline void put_entry(unsigned char *o, uint32_t e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &e, 4); /* one store (byte stores get merged badly when they overlap) */
#else
    o[0] = (unsigned char)e;
    o[1] = (unsigned char)(e >> 8);
    o[2] = (unsigned char)(e >> 16);
    o[3] = (unsigned char)(e >> 24);
#endif
}

typedef struct fast_tables {
    mb_table gb18030, big5;
    bool utf16_unpaired_fails; /* ICU's UTF-16 converters stop at an unpaired surrogate */
} fast_tables;

static fast_tables fast;
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

/* Table entry of a character, or 0 when the fast paths leave it to ICU: ASCII
 * (line ends are handled on the byte), surrogates, U+FEFF (dropped at the
 * start of a text). */
static uint32_t entry_of(const han_set *common, uint32_t c)
{
    if (c < 0x80 || c > 0xFFFF || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFEFF) return 0;
    unsigned char u[4] = {0};
    uint32_t len = (uint32_t)(put_utf8(u, c) - u); /* a BMP character: 2 or 3 bytes */
    enum score_class k = score_class_of(common, c);
    uint32_t flags = k == SC_COMMON ? 1 : k == SC_WEIRD ? 8 : 0;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | len << ENTRY_LEN_SHIFT |
           flags << ENTRY_FLAGS_SHIFT;
}

/* ICU's conversion of lead+trails[k] for each k, in one call per row
 * (restarted after each pair that ICU rejects). A pair is kept when it became
 * exactly one character. False when ICU answered something this code does not
 * understand: then the table is not used at all. */
static bool fill_row(UConverter *cnv, mb_table *t, unsigned lead, const unsigned char *trails, size_t nt,
                     const han_set *common)
{
    char src[2 * 256];
    UChar out[4 * 256];
    int32_t offs[4 * 256];
    int count[256];
    UChar first[256];
    for (size_t k = 0; k < nt; k++) {
        src[2 * k] = (char)lead;
        src[2 * k + 1] = (char)trails[k];
        count[k] = 0;
    }
    size_t pos = 0, end = 2 * nt;
    while (pos < end) {
        UErrorCode e = U_ZERO_ERROR;
        ucnv_resetToUnicode(cnv);
        UChar *o = out;
        const char *s = src + pos;
        ucnv_toUnicode(cnv, &o, out + sizeof out / sizeof *out, &s, src + end, offs, true, &e);
        for (size_t j = 0; j < (size_t)(o - out); j++) {
            if (offs[j] < 0 || (offs[j] & 1)) return false;
            size_t k = (pos + (size_t)offs[j]) / 2;
            if (count[k] >= 0 && !count[k]++) first[k] = out[j];
        }
        if (U_SUCCESS(e)) break;
        if (!is_conv_error(e) || s <= src + pos) return false;
        size_t k = (size_t)(s - src - 1) / 2; /* the pair ICU stopped at */
        count[k] = -1;
        pos = 2 * k + 2;
    }
    for (size_t k = 0; k < nt; k++) {
        if (count[k] > 1) t->multi_unit_pairs = true;
        if (count[k] != 1) continue;
        uint32_t e = entry_of(common, first[k]);
        t->pairs[lead | (unsigned)trails[k] << 8] = e;
        if (e) t->lead[lead - 0x80] = true;
    }
    return true;
}

/* One converter's table; t->usable stays false when anything is off. */
static void build_table(mb_table *t, const char *name, const unsigned char *trails, size_t nt, bool four_byte,
                        const han_set *common)
{
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &e);
    if (U_FAILURE(e) || !cnv) return;
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    bool ok = U_SUCCESS(e) && ucnv_getMaxCharSize(cnv) == (four_byte ? 4 : 2);
    /* ASCII must be itself */
    char ascii[128];
    UChar out[128];
    for (int b = 0; b < 128; b++) ascii[b] = (char)b;
    if (ok) {
        UChar *o = out;
        const char *s = ascii;
        ucnv_toUnicode(cnv, &o, out + 128, &s, ascii + 128, NULL, true, &e);
        ok = U_SUCCESS(e) && o == out + 128;
        for (int b = 0; ok && b < 128; b++) ok = out[b] == b;
    }
    for (unsigned lead = 0x81; ok && lead <= 0xFE; lead++) ok = fill_row(cnv, t, lead, trails, nt, common);
    /* bytes 0x80..0xFF alone */
    for (unsigned b = 0x80; ok && b <= 0xFF; b++) {
        char in = (char)b;
        UChar *o = out;
        const char *s = &in;
        e = U_ZERO_ERROR;
        ucnv_resetToUnicode(cnv);
        ucnv_toUnicode(cnv, &o, out + 4, &s, &in + 1, NULL, true, &e);
        if (U_SUCCESS(e) && o > out && !(o == out + 1 && score_class_of(common, out[0]) == SC_WEIRD))
            t->common_alone = true;
        if (U_SUCCESS(e) && o == out + 1 && s == &in + 1) {
            t->single[b - 0x80] = entry_of(common, out[0]);
            if (t->lead[b - 0x80]) ok = false; /* not a double-byte encoding as assumed */
        }
    }
    ucnv_close(cnv);
    t->four_byte = four_byte;
    t->usable = ok;
}

/* ICU stops at a lead surrogate followed by a unit that is not a trail. */
static bool icu_fails_unpaired(const char *name, const char *units)
{
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &e);
    if (U_FAILURE(e) || !cnv) return false;
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
    UChar out[8], *o = out;
    const char *s = units;
    e = U_ZERO_ERROR;
    ucnv_toUnicode(cnv, &o, out + 8, &s, units + 4, NULL, true, &e);
    ucnv_close(cnv);
    return is_conv_error(e);
}

static void build_fast_tables(void)
{
    for (unsigned s = 0; s < sizeof flags_tally / sizeof *flags_tally; s++)
        flags_tally[s] = (uint64_t)(s & 7) | (uint64_t)(s >> 3) << 32;
    const han_set *common = common_han_set();
    unsigned char trails[256];
    size_t nt = 0;
    for (unsigned b = 0x40; b <= 0xFE; b++)
        if (b != 0x7F) trails[nt++] = (unsigned char)b;
    build_table(&fast.gb18030, "gb18030", trails, nt, true, common);
    nt = 0; /* Big5 trails: 0x40..0x7E, 0xA1..0xFE */
    for (unsigned b = 0x40; b <= 0xFE; b++)
        if (b < 0x7F || b > 0xA0) trails[nt++] = (unsigned char)b;
    build_table(&fast.big5, "Big5", trails, nt, false, common);
    fast.utf16_unpaired_fails = icu_fails_unpaired("UTF-16LE", "\x00\xD8\x41\x00") &&
                                icu_fails_unpaired("UTF-16BE", "\xD8\x00\x00\x41");
}

static const fast_tables *fast_tables_get(void)
{
    pthread_once(&fast_once, build_fast_tables);
    return &fast;
}

/* ICU for the rare four-byte GB18030 sequences, opened when first needed. */
typedef struct gb4_conv {
    UConverter *cnv;
} gb4_conv;

static void gb4_close(gb4_conv *g)
{
    if (g->cnv) ucnv_close(g->cnv);
    g->cnv = NULL;
}

static inline bool is_gb4(const unsigned char *p)
{
    return p[0] - 0x81u < 0x7Eu && p[1] - 0x30u < 10u && p[2] - 0x81u < 0x7Eu && p[3] - 0x30u < 10u;
}

/* The character of the four bytes at p, when ICU makes exactly one character
 * >= U+0080 of them. */
static bool gb4_char(gb4_conv *g, const unsigned char *p, uint32_t *cp)
{
    UErrorCode e = U_ZERO_ERROR;
    if (!g->cnv) {
        g->cnv = ucnv_open("gb18030", &e);
        if (U_FAILURE(e) || !g->cnv) {
            g->cnv = NULL;
            return false;
        }
        ucnv_setToUCallBack(g->cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
        if (U_FAILURE(e)) return false;
    }
    ucnv_resetToUnicode(g->cnv);
    UChar out[4], *o = out;
    const char *s = (const char *)p, *lim = s + 4;
    ucnv_toUnicode(g->cnv, &o, out + 4, &s, lim, NULL, true, &e);
    if (U_FAILURE(e) || s != lim) return false;
    uint32_t c;
    if (o == out + 1 && (out[0] < 0xD800 || out[0] > 0xDFFF)) c = out[0];
    else if (o == out + 2 && out[0] >= 0xD800 && out[0] <= 0xDBFF && out[1] >= 0xDC00 && out[1] <= 0xDFFF)
        c = 0x10000 + ((uint32_t)(out[0] - 0xD800) << 10) + (uint32_t)(out[1] - 0xDC00);
    else return false;
    if (c < 0x80) return false;
    *cp = c;
    return true;
}

/* How score_table ended. */
typedef enum { SCORE_NEEDS_ICU, SCORE_EXACT, SCORE_BOUNDED } score_result;

enum { BOUND_STEP = 512 }; /* bytes between two looks at the bound */

/* Counts the score classes of the run of pairs at p that end by lim (a
 * sample: far fewer than 2^32 pairs); returns where the run stops. */
static inline const unsigned char *class_run(const uint32_t *pairs, const unsigned char *p, const unsigned char *lim,
                                             size_t *cnt)
{
    const unsigned char *start = p;
    uint64_t t = 0;
    /* four pairs at a time while all four are ours */
    while (lim - p >= 8) {
        uint32_t e0 = pair_at(pairs, p), e1 = pair_at(pairs, p + 2), e2 = pair_at(pairs, p + 4),
                 e3 = pair_at(pairs, p + 6);
        if (!(e0 & e1 & e2 & e3 & ENTRY_MARK)) break;
        t += flags_tally[entry_flags(e0) + entry_flags(e1) + entry_flags(e2) + entry_flags(e3)];
        p += 8;
    }
    uint32_t e;
    while (lim - p >= 2 && (e = pair_at(pairs, p)) != 0) {
        t += flags_tally[entry_flags(e)];
        p += 2;
    }
    add_tally(cnt, t, (size_t)(p - start) / 2);
    return p;
}

/* Exactly what score_icu would count for data p[0..n) in the table's
 * encoding (SCORE_EXACT), or SCORE_NEEDS_ICU. With `rival` (the best score so
 * far), it may stop early with SCORE_BOUNDED and in *bound a score that this
 * one cannot exceed, low enough that the rival's confidence against it is 99
 * (the cap): then the exact score changes nothing as long as the rival wins. */
static score_result score_table(const mb_table *t, gb4_conv *g4, const unsigned char *p, size_t n, bool flush,
                                 const han_set *common, const double *rival, score_acc *a, double *bound)
{
    size_t cnt[SC_COUNT] = {0};
    const unsigned char *end = p + n;
    bool two_byte_chars = !t->common_alone && !t->multi_unit_pairs && !t->four_byte;
    while (p < end) {
        const unsigned char *lim = rival && end - p > BOUND_STEP ? p + BOUND_STEP : end;
        while (p < lim) {
            unsigned c = *p;
            if (c < 0x80) {
                cnt[c >= 0x20 || c - '\t' <= '\r' - '\t' ? SC_TEXT : SC_CONTROL]++;
                p++;
                continue;
            }
            /* a run of pairs (a byte that is a character alone starts none) */
            p = class_run(t->pairs, p, lim, cnt);
            if (p == lim || (c = *p) < 0x80) continue;
            uint32_t e;
            if (p + 1 < end && (e = pair_at(t->pairs, p)) != 0) { /* a pair across lim */
                cnt[entry_class(e)]++;
                p += 2;
                continue;
            }
            if ((e = t->single[c - 0x80])) {
                cnt[entry_class(e)]++;
                p++;
                continue;
            }
            if (p + 1 == end) {
                if (!flush && t->lead[c - 0x80]) goto done; /* ICU keeps it for more input */
                return SCORE_NEEDS_ICU;
            }
            uint32_t cp;
            if (t->four_byte && end - p >= 4 && is_gb4(p) && gb4_char(g4, p, &cp)) {
                cnt[score_class_of(common, cp)]++;
                p += 4;
                continue;
            }
            return SCORE_NEEDS_ICU;
        }
        if (rival && p < end) {
            /* A positive score is at most (common + f) / (nonascii + f) for f
             * frequent characters in the bytes left (other characters, errors
             * and controls only lower it), which grows with f: f is at most
             * the bytes left, or half of them when no byte alone can be a
             * frequent character. */
            size_t left = (size_t)(end - p);
            double f = (double)(two_byte_chars ? left / 2 : left);
            double num = (double)cnt[SC_COMMON] - (double)cnt[SC_WEIRD] - (double)cnt[SC_CONTROL] + f;
            double den = (double)(cnt[SC_COMMON] + cnt[SC_WEIRD] + cnt[SC_OTHER]) + f;
            double most = num > 0 ? num / den : 0;
            if (confidence_of(*rival, most) == 99) {
                memset(a, 0, sizeof *a);
                *bound = most;
                return SCORE_BOUNDED;
            }
        }
    }
done:
    memset(a, 0, sizeof *a);
    score_add_classes(a, cnt);
    return SCORE_EXACT;
}

/* GB18030 being decoded from tables into a buffer, possibly in two steps: the
 * detector's sample first (scored on the way), the rest once GB18030 won. */
typedef struct gb_dec {
    const mb_table *t;
    gb4_conv g4;
    const unsigned char *in, *p, *end;
    unsigned char *out, *o;
    size_t cap;
} gb_dec;

static bool gb_dec_open(gb_dec *d, const unsigned char *in, size_t len)
{
    memset(d, 0, sizeof *d);
    d->t = &fast_tables_get()->gb18030;
    if (!d->t->usable) return false;
    /* a pair (2 bytes) becomes at most 3, anything else at most its length;
     * a 3-byte character is stored as 4 bytes */
    d->cap = len + len / 2 + 8;
    d->out = d->o = malloc(d->cap);
    d->in = d->p = in;
    d->end = in + len;
    return d->out != NULL;
}

static void gb_dec_close(gb_dec *d)
{
    gb4_close(&d->g4);
    free(d->out);
    d->out = NULL;
}

/* Decode the run of pairs at p that end by lim into *op, counting their score
 * classes in cnt when given (then lim is the end of a sample); returns where
 * the run stops. */
static inline __attribute__((always_inline)) const unsigned char *
pair_run(const uint32_t *pairs, const unsigned char *p, const unsigned char *lim, unsigned char **op, size_t *cnt)
{
    const unsigned char *start = p;
    unsigned char *o = *op;
    uint64_t t = 0;
    /* four pairs at a time while all four are ours */
    while (lim - p >= 8) {
        uint32_t e0 = pair_at(pairs, p), e1 = pair_at(pairs, p + 2), e2 = pair_at(pairs, p + 4),
                 e3 = pair_at(pairs, p + 6);
        uint32_t all = e0 & e1 & e2 & e3;
        if (!(all & ENTRY_MARK)) break;
        if (entry_len(all) == 3) { /* all four 3 bytes long, as most Chinese characters are */
            put_entry(o, e0);
            put_entry(o + 3, e1);
            put_entry(o + 6, e2);
            put_entry(o + 9, e3);
            o += 12;
        } else {
            put_entry(o, e0);
            o += entry_len(e0);
            put_entry(o, e1);
            o += entry_len(e1);
            put_entry(o, e2);
            o += entry_len(e2);
            put_entry(o, e3);
            o += entry_len(e3);
        }
        if (cnt) t += flags_tally[entry_flags(e0) + entry_flags(e1) + entry_flags(e2) + entry_flags(e3)];
        p += 8;
    }
    uint32_t e;
    while (lim - p >= 2 && (e = pair_at(pairs, p)) != 0) {
        put_entry(o, e);
        o += entry_len(e);
        if (cnt) t += flags_tally[entry_flags(e)];
        p += 2;
    }
    if (cnt) add_tally(cnt, t, (size_t)(p - start) / 2);
    *op = o;
    return p;
}

/* Decode the characters that start before lim (the last one may end after it),
 * as decode_icu would (CRLF and CR as LF, a U+FEFF at the very start dropped).
 * With cnt, counts the score classes (and in cnt[SC_COUNT] the four-byte ones) of the non-ASCII characters that end by
 * lim and sets *straddle to one that does not (else leaves it). False when the
 * input needs ICU. */
static inline __attribute__((always_inline)) bool gb_dec_run(gb_dec *d, const unsigned char *lim, size_t *cnt,
                                                               const unsigned char **straddle)
{
    const uint32_t *pairs = d->t->pairs;
    const unsigned char *p = d->p, *end = d->end, *in = d->in;
    unsigned char *o = d->o;
    bool ok = true;
    while (p < lim) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c == '\r') {
                *o++ = '\n';
                p++;
                if (p < end && *p == '\n') p++;
                continue;
            }
            *o++ = (unsigned char)c;
            p++;
            /* an ASCII run without CR, 8 bytes at a time */
            while (lim - p >= 8) {
                uint64_t w;
                memcpy(&w, p, 8);
                if ((w & HIGHS) || HAS_ZERO(w ^ (ONES * '\r'))) break;
                memcpy(o, &w, 8);
                o += 8;
                p += 8;
            }
            continue;
        }
        /* a run of pairs: one table entry each, stored as 4 bytes */
        p = cnt ? pair_run(pairs, p, lim, &o, cnt) : pair_run(pairs, p, lim, &o, NULL);
        uint32_t e;
        if (p >= lim || *p < 0x80) continue;
        if (p + 1 < end && (e = pair_at(pairs, p)) != 0) { /* a pair across lim */
            put_entry(o, e);
            o += entry_len(e);
            if (cnt) *straddle = p;
            p += 2;
            continue;
        }
        uint32_t cp;
        if (end - p >= 4 && is_gb4(p) && gb4_char(&d->g4, p, &cp)) {
            if (cnt) {
                if (lim - p >= 4) {
                    cnt[score_class_of(common_han_set(), cp)]++;
                    cnt[SC_COUNT]++;
                }
                else *straddle = p;
            }
            if (!(cp == 0xFEFF && p == in)) o = put_utf8(o, cp);
            p += 4;
            continue;
        }
        ok = false; /* GB18030 singles (none in ICU's table) and errors: ICU */
        break;
    }
    d->p = p;
    d->o = o;
    return ok;
}

/* The rest of the input, then the buffer into doc->src (d is closed). */
static bool gb_dec_finish(gb_dec *d, st_doc *doc)
{
    bool ok = gb_dec_run(d, d->end, NULL, NULL);
    gb4_close(&d->g4);
    if (!ok) {
        gb_dec_close(d);
        return false;
    }
    size_t n = (size_t)(d->o - d->out);
    unsigned char *out = d->out;
    d->out = NULL;
    out[n] = 0;
    if (d->cap > n + 4096 && d->cap / 8 > n / 7) {
        unsigned char *q = realloc(out, n + 1);
        if (q) out = q;
    }
    doc->src = (char *)out;
    doc->src_len = n;
    return true;
}

/* GB18030 in[0..len) into doc->src as decode_icu makes it; false, with nothing
 * changed, when the input needs ICU. */
static bool decode_gb18030_table(st_doc *doc, const unsigned char *in, size_t len)
{
    gb_dec d;
    if (!gb_dec_open(&d, in, len)) {
        gb_dec_close(&d);
        return false;
    }
    return gb_dec_finish(&d, doc);
}

/* Decode GB18030 up to the end of the detector's sample in[start..start+n) and
 * score the sample on the way: exactly what score_table would count, when
 * true. ctrl: the sample may hold C0 controls. On false the decoder may still
 * be open (d->out) for gb_dec_finish, but the score is not known. */
static bool gb_dec_score_sample(gb_dec *d, size_t start, size_t n, bool flush, bool ctrl, score_acc *a)
{
    size_t cnt[SC_COUNT + 1] = {0}; /* + four-byte characters */
    const unsigned char *lim = d->in + start + n, *straddle = NULL;
    if (!gb_dec_run(d, lim, cnt, &straddle)) {
        gb_dec_close(d);
        return false;
    }
    const unsigned char *score_end = lim;
    if (straddle) {
        /* score_table stops at a lead byte that is the last byte of a sample
         * without flush; anything else across the end goes to ICU there */
        if (flush || straddle != lim - 1 || !d->t->lead[*straddle - 0x80]) return false;
        score_end = straddle;
    }
    /* ASCII: the rest of the sample's bytes (a pair takes 2, a four-byte
     * character 4; bytes below 0x30 are never part of either) */
    const unsigned char *s = d->in + start;
    size_t quads = cnt[SC_COUNT], pairs = cnt[SC_COMMON] + cnt[SC_WEIRD] + cnt[SC_OTHER] - quads;
    size_t ascii = (size_t)(score_end - s) - 2 * pairs - 4 * quads, ctl = 0;
    if (ctrl)
        for (const unsigned char *q = s; q < score_end; q++) ctl += *q < 0x20 && !(*q >= '\t' && *q <= '\r');
    cnt[SC_TEXT] = ascii - ctl;
    cnt[SC_CONTROL] = ctl;
    memset(a, 0, sizeof *a);
    score_add_classes(a, cnt);
    return true;
}

/* A lead surrogate followed by a unit that is not a trail, in the UTF-16
 * units of p[0..n): ICU stops with an error there. */
static bool utf16_has_unpaired(const unsigned char *p, size_t n, bool be)
{
    size_t hi = be ? 0 : 1; /* the byte with the high bits of a unit */
    for (size_t i = 0; i + 4 <= n; i += 2)
        if (p[i + hi] - 0xD8u < 4u && p[i + 2 + hi] - 0xDCu >= 4u) return true;
    return false;
}

typedef struct candidate {
    const char *icu;   /* converter name */
    const char *label; /* static name for doc->encoding */
    score_acc acc;
    double score;
} candidate;

/* UTF-16 without BOM, for input with NUL bytes or with many bytes below 0x20
 * (CJK code units such as U+4E0x have them). The decoded text must score at
 * least min_score, or be mostly ASCII with its zero bytes on one side. */
static bool detect_utf16(const char *data, size_t len, const han_set *common, double min_score, bool *be,
                         int *conf)
{
    size_t n = len < SAMPLE_BYTES ? len : SAMPLE_BYTES;
    n &= ~(size_t)1;
    if (n < 2) return false;
    size_t zeven = 0, zodd = 0;
    for (size_t i = 0; i < n; i++)
        if (!data[i]) {
            if (i & 1) zodd++;
            else zeven++;
        }
    candidate c[2] = {{"UTF-16LE", "UTF-16LE", {0}, 0}, {"UTF-16BE", "UTF-16BE", {0}, 0}};
    bool ok[2];
    for (int k = 0; k < 2; k++) {
        score_icu(c[k].icu, data, n, n == len, common, &c[k].acc);
        c[k].score = score_of(&c[k].acc);
        const score_acc *a = &c[k].acc;
        /* ASCII text has its zero bytes on one side: odd offsets in LE */
        size_t mine = k ? zeven : zodd, other = k ? zodd : zeven;
        bool parity = mine > 4 * other && a->ascii_text * 2 >= a->chars;
        ok[k] = a->errors == 0 && a->weird * 20 <= a->chars && (c[k].score >= min_score || parity);
    }
    int k;
    if (ok[0] && ok[1]) k = c[1].score > c[0].score ? 1 : 0;
    else if (ok[0]) k = 0;
    else if (ok[1]) k = 1;
    else return false;
    *be = k == 1;
    if (c[k].acc.nonascii && c[k].acc.nonascii * 4 >= c[k].acc.chars)
        *conf = confidence_of(c[k].score, c[1 - k].score);
    else
        *conf = ok[1 - k] ? 50 : 90; /* mostly ASCII: the zero bytes tell */
    return true;
}

/* The best of the candidates in the race and the runner-up (-1 when none): a
 * later candidate wins only with a higher score. */
static void pick_best(const candidate *c, const bool *in_race, int nc, int *best, int *second)
{
    *best = *second = -1;
    for (int k = 0; k < nc; k++) {
        if (!in_race[k]) continue;
        if (*best < 0 || c[k].score > c[*best].score) {
            *second = *best;
            *best = k;
        } else if (*second < 0 || c[k].score > c[*second].score) {
            *second = k;
        }
    }
}

/* ICU's charset detector, for input that does not look like Chinese in any of
 * our candidates. */
static bool detect_icu_csd(const char *data, size_t n, const han_set *common, const char **label, int *conf)
{
    UErrorCode e = U_ZERO_ERROR;
    UCharsetDetector *d = ucsdet_open(&e);
    if (U_FAILURE(e) || !d) return false;
    ucsdet_setText(d, data, (int32_t)n, &e);
    int32_t count = 0;
    const UCharsetMatch **m = ucsdet_detectAll(d, &count, &e);
    bool found = false;
    for (int32_t i = 0; U_SUCCESS(e) && i < count && !found; i++) {
        UErrorCode e2 = U_ZERO_ERROR;
        const char *name = ucsdet_getName(m[i], &e2);
        int32_t c = ucsdet_getConfidence(m[i], &e2);
        if (U_FAILURE(e2) || !name || c < 50) break;
        if (!strncasecmp(name, "UTF-", 4)) continue;
        UConverter *cnv = ucnv_open(name, &e2);
        if (U_FAILURE(e2) || !cnv) continue;
        const char *nice = nice_name(ucnv_getName(cnv, &e2));
        ucnv_close(cnv);
        score_acc a;
        score_icu(nice, data, n, false, common, &a);
        if (a.errors || a.weird) continue;
        *label = nice;
        *conf = c > 99 ? 99 : c;
        found = true;
    }
    ucsdet_close(d);
    return found;
}

/* ---- drivers ---- */

static void set_result(st_doc *doc, const char *enc, const char *source, int conf)
{
    doc->encoding = enc;
    doc->encoding_source = source;
    doc->confidence = conf;
}

/* Open a converter by name and decode everything with it. */
static int decode_with(st_doc *doc, const char *icu, const char *data, size_t len, size_t base,
                       bool lossy, const char *label, const char *suffix, st_error *err)
{
    if (!base && !strcmp(icu, "gb18030") && decode_gb18030_table(doc, (const unsigned char *)data, len)) return 0;
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(icu, &e);
    if (U_FAILURE(e) || !cnv)
        return fail(err, ST_ERR_ENCODING, 0, 0, 0, "ICU has no converter for %s (%s)", icu, u_errorName(e));
    int rc = decode_icu(doc, cnv, data, len, base, lossy, label, suffix, err);
    ucnv_close(cnv);
    return rc;
}

static int decode_forced(st_doc *doc, const char *data, size_t len, const char *name, bool lossy,
                         st_error *err)
{
    const unsigned char *u = (const unsigned char *)data;
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &e);
    if (U_FAILURE(e) || !cnv)
        return fail(err, ST_ERR_ENCODING, 0, 0, 0,
                    "unknown encoding \"%s\" (expected an ICU converter name such as UTF-8, "
                    "GB18030, GBK, Big5, UTF-16LE)",
                    name);
    e = U_ZERO_ERROR;
    const char *canon = ucnv_getName(cnv, &e);
    const char *label = nice_name(canon);
    set_result(doc, label, "forced", 100);
    ctrl_scan cs;
    int rc;
    if (!strcmp(canon, "UTF-8")) {
        ucnv_close(cnv);
        size_t skip = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
        if (utf8_clean_copy(doc, u + skip, len - skip, &rc, err)) return rc;
        scan_bytes(u + skip, len - skip, skip, false, &cs);
        if ((rc = check_binary(&cs, len, u, true, err))) return rc;
        return decode_utf8(doc, u + skip, len - skip, skip, lossy, "", err);
    }
    if (!strncmp(canon, "UTF-16", 6) || !strncmp(canon, "UTF-32", 6)) {
        int size = canon[4] == '1' ? 2 : 4;
        bool be = !strstr(canon, "LE");
        if (!canon[6]) { /* byte order from a BOM, else big-endian */
            if (size == 2) be = !(len >= 2 && u[0] == 0xFF && u[1] == 0xFE);
            else be = !(len >= 4 && u[0] == 0xFF && u[1] == 0xFE && !u[2] && !u[3]);
        }
        scan_units(u, len, 0, size, be, &cs);
        if ((rc = check_binary(&cs, len, u, false, err))) {
            ucnv_close(cnv);
            return rc;
        }
    } else if (ucnv_getMinCharSize(cnv) == 1) {
        scan_bytes(u, len, 0, ucnv_getType(cnv) == UCNV_ISO_2022, &cs);
        if ((rc = check_binary(&cs, len, u, true, err))) {
            ucnv_close(cnv);
            return rc;
        }
    }
    if (!strcmp(canon, "gb18030") && decode_gb18030_table(doc, u, len)) rc = 0;
    else rc = decode_icu(doc, cnv, data, len, 0, lossy, label, "; encoding forced", err);
    ucnv_close(cnv);
    /* stateful encodings (UTF-7, ISO-2022, ...) can spell NUL without a 0 byte */
    const char *nul = rc ? NULL : memchr(doc->src, 0, doc->src_len);
    if (nul) {
        size_t line, col;
        out_place(doc->src, (size_t)(nul - doc->src), &line, &col);
        return fail(err, ST_ERR_BINARY, 0, line, col,
                    "binary data (NUL character) at line %zu, column %zu of the decoded text", line, col);
    }
    return rc;
}

static int decode_bom(st_doc *doc, const char *data, size_t len, size_t bom, const char *enc, int size,
                      bool be, bool lossy, st_error *err)
{
    const unsigned char *u = (const unsigned char *)data;
    ctrl_scan cs;
    int rc;
    set_result(doc, enc, "bom", 100);
    if (size == 1) {
        if (utf8_clean_copy(doc, u + bom, len - bom, &rc, err)) return rc;
        scan_bytes(u + bom, len - bom, bom, false, &cs);
        if ((rc = check_binary(&cs, len, u, true, err))) return rc;
        return decode_utf8(doc, u + bom, len - bom, bom, lossy, "", err);
    }
    scan_units(u + bom, len - bom, bom, size, be, &cs);
    if ((rc = check_binary(&cs, len, u, false, err))) return rc;
    return decode_with(doc, enc, data + bom, len - bom, bom, lossy, enc, "; encoding from the byte order mark", err);
}

static int decode_auto(st_doc *doc, const char *data, size_t len, bool lossy, st_error *err)
{
    const unsigned char *u = (const unsigned char *)data;
    int rc;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        return decode_bom(doc, data, len, 3, "UTF-8", 1, false, lossy, err);
    if (len >= 4 && u[0] == 0xFF && u[1] == 0xFE && !u[2] && !u[3])
        return decode_bom(doc, data, len, 4, "UTF-32LE", 4, false, lossy, err);
    if (len >= 4 && !u[0] && !u[1] && u[2] == 0xFE && u[3] == 0xFF)
        return decode_bom(doc, data, len, 4, "UTF-32BE", 4, true, lossy, err);
    if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE)
        return decode_bom(doc, data, len, 2, "UTF-16LE", 2, false, lossy, err);
    if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF)
        return decode_bom(doc, data, len, 2, "UTF-16BE", 2, true, lossy, err);

    /* the common case: valid UTF-8 without control characters */
    if (utf8_clean_copy(doc, u, len, &rc, err)) {
        set_result(doc, "UTF-8", "default", 100);
        return rc;
    }

    ctrl_scan cs;
    size_t fh = first_high(u, len);
    bool surely_not_broken = scan_bytes_census(u, len, fh, &cs);
    const han_set *common = NULL; /* set when needed */
    bool many_ctrl = cs.ctrl >= 3 && cs.ctrl * 100 > len;
    if (cs.has_nul || many_ctrl) {
        common = common_han_set();
        /* not text, unless it is UTF-16 without a byte order mark */
        bool be;
        int conf;
        if (detect_utf16(data, len, common, cs.has_nul ? 0.3 : 0.5, &be, &conf)) {
            const char *enc = be ? "UTF-16BE" : "UTF-16LE";
            set_result(doc, enc, "detected", conf);
            scan_units(u, len, 0, 2, be, &cs);
            if ((rc = check_binary(&cs, len, u, false, err))) return rc;
            char suffix[96];
            snprintf(suffix, sizeof suffix, "; encoding detected as %s (no byte order mark), confidence %d%%",
                     enc, conf);
            return decode_with(doc, enc, data, len, 0, lossy, enc, suffix, err);
        }
        if ((rc = check_binary(&cs, len, u, true, err))) return rc;
    }

    /* valid UTF-8 is UTF-8 */
    set_result(doc, "UTF-8", "default", 100);
    bool has_cr, has_ctrl;
    if (utf8_valid_prefix(u, len, &has_cr, &has_ctrl) == len) return utf8_copy(doc, u, len, has_cr, err);

    /* Invalid UTF-8: broken UTF-8, or another encoding? In GB18030 or Big5 text
     * only about one character in five happens to form a valid UTF-8 sequence. */
    size_t valid = 0, invalid = 0;
    bool census_done = false, broken_utf8 = false;
    if (!surely_not_broken) {
        census_done = utf8_census(u, len, true, &valid, &invalid, &fh);
        broken_utf8 = valid >= 4 * invalid; /* exact even when the census stopped early */
    }
    const char *label = NULL, *icu = NULL;
    int conf = 0;
    gb_dec gd = {0}; /* GB18030 decoded while scored: kept if it wins */
    if (!broken_utf8) {
        common = common_han_set();
        const fast_tables *ft = fast_tables_get();
        gb4_conv g4 = {0};
        /* score candidates on a sample from the first non-ASCII byte */
        size_t start = fh & ~(size_t)1;
        size_t n = len - start < SAMPLE_BYTES ? len - start : SAMPLE_BYTES;
        bool flush = start + n == len;
        candidate c[4] = {{"gb18030", "GB18030", {0}, 0},
                          {"Big5", "Big5", {0}, 0},
                          {"UTF-16LE", "UTF-16LE", {0}, 0},
                          {"UTF-16BE", "UTF-16BE", {0}, 0}};
        int nc = (len - start) % 2 == 0 ? 4 : 2;
        bool in_race[4] = {false};
        int bounded = -1; /* a candidate scored only as far as needed: c[].score is a bound */
        for (int k = 0; k < nc; k++) {
            /* an unpaired surrogate is an error: that UTF-16 candidate is out */
            if (k >= 2 && ft->utf16_unpaired_fails && utf16_has_unpaired(u + start, n, k == 3)) continue;
            const mb_table *t = k == 0 ? &ft->gb18030 : k == 1 ? &ft->big5 : NULL;
            bool scored = k == 0 && t->usable && gb_dec_open(&gd, u, len) &&
                          gb_dec_score_sample(&gd, start, n, flush, cs.ctrl > 0, &c[k].acc);
            if (!scored && t && t->usable) {
                /* Big5 against GB18030's score */
                score_result r = score_table(t, &g4, u + start, n, flush, common, k == 1 ? &c[0].score : NULL,
                                             &c[k].acc, &c[k].score);
                if (r == SCORE_BOUNDED) bounded = k;
                scored = r != SCORE_NEEDS_ICU;
            }
            if (!scored) score_icu(c[k].icu, data + start, n, flush, common, &c[k].acc);
            if (k != bounded) c[k].score = score_of(&c[k].acc);
            /* BOM-less UTF-16 without ASCII must look very much like Chinese */
            in_race[k] = !(k >= 2 && (c[k].acc.errors || c[k].score < 0.5));
        }
        int best, second;
        pick_best(c, in_race, nc, &best, &second);
        if (bounded >= 0 && !(best == 0 && confidence_of(c[0].score, c[second].score) == 99)) {
            /* the bound was not enough: the exact score */
            const mb_table *t = &ft->big5;
            if (score_table(t, &g4, u + start, n, flush, common, NULL, &c[bounded].acc, NULL) == SCORE_NEEDS_ICU)
                score_icu(c[bounded].icu, data + start, n, flush, common, &c[bounded].acc);
            c[bounded].score = score_of(&c[bounded].acc);
            pick_best(c, in_race, nc, &best, &second);
        }
        gb4_close(&g4);
        const candidate *b = &c[best];
        /* Chinese text, or at least clean text with nothing odd in it */
        bool fits = (b->score >= 0.15 || (b->acc.errors == 0 && b->acc.weird == 0 && b->score >= 0));
        if ((!fits || b->acc.errors) && !census_done) census_done = utf8_census(u, len, false, &valid, &invalid, &fh);
        if ((!fits || b->acc.errors) && valid && valid >= invalid) {
            broken_utf8 = true;
        } else if (fits) {
            label = b->label;
            icu = b->icu;
            conf = confidence_of(b->score, second >= 0 ? c[second].score : 0);
        } else if (!valid && detect_icu_csd(data + start, n, common, &label, &conf)) {
            icu = label; /* not Chinese, but ICU's detector is sure */
        } else {
            broken_utf8 = true;
        }
    }
    if (gd.out && !(icu && !strcmp(icu, "gb18030"))) gb_dec_close(&gd);
    if (broken_utf8) {
        if (!lossy) return decode_utf8(doc, u, len, 0, false, "", err); /* the error at the first bad byte */
        if (!census_done) utf8_census(u, len, false, &valid, &invalid, &fh);
        doc->confidence = valid + invalid ? (int)(100 * valid / (valid + invalid)) : 50;
        return decode_utf8(doc, u, len, 0, true, "", err);
    }
    set_result(doc, label, "detected", conf);
    if (gd.out && gb_dec_finish(&gd, doc)) return 0;
    char suffix[96];
    snprintf(suffix, sizeof suffix, "; encoding detected as %s, confidence %d%%", label, conf);
    return decode_with(doc, icu, data, len, 0, lossy, label, suffix, err);
}


int st_decode(st_doc *doc, const char *data, size_t len, const st_options *opt, st_error *err)
{
    st_error scratch;
    if (!err) err = &scratch;
    bool lossy = opt && opt->lossy;
    doc->src = NULL;
    doc->src_len = 0;
    doc->traditional = false;
    if (!data) data = "";
    int rc = opt && opt->encoding && *opt->encoding ? decode_forced(doc, data, len, opt->encoding, lossy, err)
                                                     : decode_auto(doc, data, len, lossy, err);
    if (rc) {
        free(doc->src);
        doc->src = NULL;
        doc->src_len = 0;
        return rc;
    }
    return 0;
}
