/* The noise stage: finds what is not speech and records it as removed byte
 * ranges of doc->src (each with the rule that removed it), finds censored
 * words and redaction placeholders, and tells traditional script.
 *
 * Two kinds of rules:
 *  - pattern rules (data/noise-rules.json, plus user files): PCRE2 patterns
 *    (JIT, multiline mode), run over the lines that hold one of the rule's
 *    "requires" literals (the scan finds them all in its one pass), or over
 *    the whole text for a rule without them. An "inline" rule removes its
 *    match; a "line" rule removes the line its match starts on, when the line
 *    is short (max_chars) and not an enumerated item.
 *  - structural rules (here), which need counting or position:
 *    site-signature, duplicate-title, table-of-contents, watermark,
 *    pinyin-annotation, site-footer.
 *
 * The rules read a working copy of the text with its layout repaired
 * (hard-wrapped paragraphs joined, flattened lines split, traditional
 * characters simplified; see "layout"), and what they find is mapped back.
 * One pass over it in C finds censored words, redactions, the lines holding
 * "requires" literals, the clauses and anchors a watermark could be, and
 * pinyin annotations; the other structural rules look only at the head and
 * the tail of the document.
 *
 * Output invariants: doc->removed sorted by start and non-overlapping;
 * doc->censored sorted, none inside a removed range. docs/NOISE.md. */
#define _GNU_SOURCE /* memmem */
#include "rules.h"

#include <pthread.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <unicode/ustring.h>
#include <unicode/utrans.h>

static const char R_SIGNATURE[] = "site-signature";
static const char R_FOOTER[] = "site-footer";
static const char R_WATERMARK[] = "watermark";
static const char R_DUPTITLE[] = "duplicate-title";
static const char R_TOC[] = "table-of-contents";
static const char R_PINYIN[] = "pinyin-annotation";

/* ---- traditional script ---- */

/* Common characters that exist only in traditional form, and the common
 * simplified forms that a traditional text does not use (characters shared by
 * both scripts, like 后 干 发 里 面 台 系, are left out). */
static const char st_trad_only[] =
    "們這會對問題為檢個說國來時實現動發經關區學體點書長門開間與黨領導幹組織紀員處設應"
    "廣東車從當製義議後務無幾機專業權術將歷總聯鄉產計認讓論語請讀貫傳習進選達還運過遠"
    "邊電頭風麼見覺觀規親記訓許證評詳試話該誤課調談質費資贊趨農辦遺鐵錢錯陣陳際隊隨雙"
    "雜離響頁項順須顧飛飯齊龍係兒兩內冊寫決劃則剛創勞勢單衛厲參變號吳啟喪營嚴團園圍圖"
    "場壞壓報聲備複夠奪奮婦寧審尋層屆歲島嶺師帶幫廢張強彈歸錄徑復徵態戰戶採據護擔擇擊"
    "擴擁擺敵數斷舊畫晉條極構樣樹標歡殺毀氣漢沒況準溝滿漸潔災煩熱爭爾牽狀獨獲環畢異療"
    "盡監盤碼礎確禮種稱積穩窮競筆節範築簡糧級約紅純紙終結絕統繼續維綜緊線練縣績聽職腦"
    "脅脫膽興舉艱藝補裝視覽訂討訪識詞詩誰諸謀謝謹譯貝負財責貧貨販貴貸賊賓賞賢賬購趕跡"
    "踐較載輕輸違連遲適遼郵鄰醫釋針鐘鋼鎮閃閉閑閣閱陰陽階陸險隱雖雞難霧靈靜頂預頻額館"
    "馬驗驚鬥魚鮮鳥麥黃齒勵勸協華堅壇壯夢屬岡幣廳彌徹懷戀揮損撥擬攜敗敘斂斬於曉暫曆歐"
    "殘漲濟濃灣燈爐牆獄瑪瓊畝疊瘋癢皺盞碩礙禍禦稅穀窩筍箋簽籃粵糾紛細絡給絲綠網緒編罰"
    "羅聰肅脈膚臉臨艦莊葉蔣蘇蟲蠻衝襲覓誇誌誠誕誘謂講謊譜貿賀賤賦賴贈趙躍軍軌軟輔輛輩"
    "轉辭遞遙鄧鄭醜釣鈴銀銷鋪鍵鍛鏡閘閥闊隸雲顯飄餘饒騙騰髮鬆鬧魯鯨鳴鴨鵝鷹鹽麗黴";

static const char st_simp_only[] =
    "们这会对问题为检个说国来时实现动经关区学体点书长门开间领导组织纪员处设应广东车从"
    "当义议务无机专业权将总联乡产计认让论语请读贯传习进选达还运过远边电头风么见觉观规"
    "亲记训许证评详试话该误课调谈质费资赞趋农办遗铁钱错阵陈际队随双杂离响页项顺顾飞饭"
    "齐龙儿两内册写决则刚创劳势单卫厉参变号吴丧营严团园围图场坏压报声备够夺奋妇审寻层"
    "届岁岛岭师带帮废张强弹归录径态战户护担择击扩拥摆敌数断旧画晋条极构样树标欢杀毁气"
    "汉没况沟满渐洁灾烦热争尔牵状独环毕异疗监盘码础礼称积稳穷竞笔节简粮级约红纯纸终结"
    "绝统继续维综紧线练县绩听职脑胁脱胆兴举艰艺补装视览订讨访识词诗谁诸谋谢谨译贝负财"
    "责贫货贩贵贷贼宾赏贤账购赶迹践较载轻输违连迟适辽邮邻医释针钢镇闪闭闲阁阅阴阳阶陆"
    "险隐虽鸡难雾灵静顶预频额馆马验惊鱼鲜鸟麦黄齿励劝协华坚壮梦属冈币厅彻怀恋挥损拨拟"
    "携败叙敛斩晓暂欧残涨济浓湾灯炉墙狱玛琼亩叠疯痒皱盏硕碍祸税窝笋笺篮粤纠纷细络给丝"
    "绿网绪编罚罗聪肃脉肤脸临舰蒋苏蛮袭觅夸诚诞诱谓讲谎谱贸贺贱赋赖赠赵跃军轨软辅辆辈"
    "转辞递遥邓郑钓铃银销铺键锻镜闸阀阔隶显飘饶骗腾闹鲁鲸鸣鸭鹅鹰盐丽";


/* Sets flag on the characters of s that lie in [lo, hi]. */
static void st_fill_flag(uint8_t *flags, const char *s, uint8_t flag, uint32_t lo, uint32_t hi)
{
    size_t len = strlen(s), i = 0, m;
    while (i < len) {
        uint32_t c = st_utf8_next(s + i, len - i, &m);
        if (c >= lo && c <= hi && c < ST_CHAR_FLAGS) flags[c] |= flag;
        i += m;
    }
}

void st_clean_fill_flags(uint8_t *flags, uint8_t *simp)
{
    /* the script test counts characters with lead bytes E4..E9 only */
    st_fill_flag(flags, st_trad_only, ST_CF_TRAD, 0x4000, 0x9FFF);
    size_t len = strlen(st_simp_only), i = 0, m;
    while (i < len) {
        uint32_t c = st_utf8_next(st_simp_only + i, len - i, &m);
        if (c >= 0x4000 && c <= 0x9FFF) simp[c >> 3] |= (uint8_t)(1u << (c & 7));
        i += m;
    }
    st_fill_flag(flags, "网库铺", ST_CF_SITE, 0, 0xFFFF);
    st_fill_flag(flags, "整原出首独", ST_CF_CREDIT, 0, 0xFFFF);
    /* what else the scan acts on among the 3-byte characters */
    st_fill_flag(flags, "，、", ST_CF_COMMA, 0x800, 0xFFFF);
    st_fill_flag(flags, "。；：！？", ST_CF_STOP, 0x800, 0xFFFF);
    st_fill_flag(flags, "（Ｘｘ＿＊", ST_CF_PUNCT, 0x800, 0xFFFF);
}

/* Is the text in traditional script? Counts the characters of the two lists
 * until 4096 of them are seen. Only a text with at least two traditional
 * characters can be, and the scan tells which ones have (st_scan.trad_seen),
 * so most texts are not walked for this. */
static bool st_is_traditional_text(const char *text, size_t n, const st_rules *r)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t trad = 0, simp = 0;
    for (size_t i = 0; i + 2 < n && trad + simp < 4096;) {
        if ((unsigned char)(s[i] - 0xE4) > 5) {
            i++;
            continue;
        }
        uint32_t cp = ((uint32_t)(s[i] & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (uint32_t)(s[i + 2] & 0x3F);
        trad += (r->chars[cp] & ST_CF_TRAD) != 0;
        simp += st_bit(r->simp, cp);
        i += 3;
    }
    return trad >= 2 && trad >= 3 * simp;
}

/* Traditional copies: the rules are written in simplified script, so the
 * noise stage reads a copy of the text with every traditional character
 * replaced by its simplified form. Both forms take 3 bytes in UTF-8, so the
 * copy has the same byte offsets. The table comes from ICU's
 * Traditional-Simplified transliterator, built once. */
#define ST_T2S_FIRST 0x3400u
#define ST_T2S_LAST 0x9FFFu
static uint16_t *st_t2s;
static pthread_once_t st_t2s_once = PTHREAD_ONCE_INIT;

static void st_build_t2s(void)
{
    size_t count = ST_T2S_LAST - ST_T2S_FIRST + 1;
    int32_t cap = (int32_t)(count * 6 + 64);
    UChar *buf = malloc((size_t)cap * sizeof(UChar));
    uint16_t *table = calloc(count, sizeof *table);
    if (!buf || !table) abort();
    int32_t len = 0;
    for (uint32_t c = ST_T2S_FIRST; c <= ST_T2S_LAST; c++) {
        buf[len++] = (UChar)c;
        buf[len++] = '\n';
    }
    UErrorCode st = U_ZERO_ERROR;
    UChar id[32];
    u_uastrcpy(id, "Traditional-Simplified");
    UTransliterator *t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_SUCCESS(st) && t) {
        int32_t limit = len;
        utrans_transUChars(t, buf, &len, cap, 0, &limit, &st);
        if (U_SUCCESS(st)) {
            /* one piece per character, in order; keep single BMP characters */
            uint32_t c = ST_T2S_FIRST;
            int32_t i = 0;
            while (i < len && c <= ST_T2S_LAST) {
                int32_t j = i;
                while (j < len && buf[j] != '\n') j++;
                if (j - i == 1 && (buf[i] < 0xD800 || buf[i] > 0xDFFF) && buf[i] >= 0x800 && buf[i] != c)
                    table[c - ST_T2S_FIRST] = buf[i];
                c++;
                i = j + 1;
            }
        }
        utrans_close(t);
    }
    free(buf);
    st_t2s = table;
}

/* The simplified copy of a traditional text, or NULL. */
static char *st_simplified_copy(const char *s, size_t n)
{
    pthread_once(&st_t2s_once, st_build_t2s);
    if (!st_t2s) return NULL;
    char *o = malloc(n + 1);
    if (!o) abort();
    memcpy(o, s, n + 1);
    for (size_t i = 0; i + 2 < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0xE3 || c > 0xE9) {
            i++;
            continue;
        }
        uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (uint32_t)(s[i + 2] & 0x3F);
        if (cp >= ST_T2S_FIRST && cp <= ST_T2S_LAST && ((unsigned char)s[i + 1] & 0xC0) == 0x80 &&
            ((unsigned char)s[i + 2] & 0xC0) == 0x80) {
            uint16_t t = st_t2s[cp - ST_T2S_FIRST];
            if (t) {
                o[i] = (char)(0xE0 | (t >> 12));
                o[i + 1] = (char)(0x80 | ((t >> 6) & 0x3F));
                o[i + 2] = (char)(0x80 | (t & 0x3F));
            }
            i += 3;
            continue;
        }
        i++;
    }
    return o;
}

/* ---- small text helpers ---- */

static inline bool st_is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline bool st_is_ascii_alpha(unsigned char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }
static inline bool st_is_ascii_alnum(unsigned char c) { return st_is_ascii_digit(c) || st_is_ascii_alpha(c); }

/* The texts these look at are short (a line, a clause) and so are the
 * literals: plain loops rather than memmem (which prepares each search). */
static bool st_contains(const char *s, size_t n, const char *lit)
{
    if (!s) return false;
    if (!lit[0]) return true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != lit[0]) continue;
        size_t k = 1;
        while (lit[k] && i + k < n && s[i + k] == lit[k]) k++;
        if (!lit[k]) return true;
    }
    return false;
}

static bool st_ends_with(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return l <= n && memcmp(s + n - l, lit, l) == 0;
}

/* memcmp(a, b, n) == 0 for the few bytes of a literal, without a call. */
static inline bool st_same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (a[k] != b[k]) return false;
    return true;
}

/* A word of the lists below, with its length (a list ends with {NULL, 0}):
 * most words are ruled out by one byte, before they are compared (the
 * last: in Chinese text the first is a lead byte shared by many). */
typedef struct st_word {
    const char *s;
    size_t len;
} st_word;
#define ST_W(lit) {lit, sizeof lit - 1}

static bool st_contains_any(const char *s, size_t n, const st_word *w)
{
    for (; w->s; w++)
        for (size_t i = 0; i + w->len <= n; i++)
            if (s[i + w->len - 1] == w->s[w->len - 1] && st_same_bytes(s + i, w->s, w->len)) return true;
    return false;
}

static bool st_ends_with_any(const char *s, size_t n, const st_word *w)
{
    for (; w->s; w++)
        if (w->len <= n && s[n - 1] == w->s[w->len - 1] && st_same_bytes(s + n - w->len, w->s, w->len)) return true;
    return false;
}

static bool st_starts_with_any(const char *s, size_t n, const st_word *w)
{
    for (; w->s; w++)
        if (w->len <= n && s[w->len - 1] == w->s[w->len - 1] && st_same_bytes(s, w->s, w->len)) return true;
    return false;
}

/* Byte length of the white space (st_is_space or \n) at s[0..avail), or 0. */
static inline size_t st_blank_len(const char *s, size_t avail)
{
    return s[0] == '\n' ? 1 : st_space_len(s, avail);
}

/* Byte length of the white space character (st_blank_len) that ends at
 * s[b - 1] (a < b: the start of the text), or 0. Decided on the last bytes
 * (valid UTF-8): a character whose last byte is not ASCII is a blank only
 * when it is C2 A0 or a 3-byte one (lead E2, E3 or EF) that st_space_len
 * takes. */
static inline size_t st_blank_before(const char *s, size_t a, size_t b)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[b - 1];
    if (c < 0x80) return c == '\n' || st_space_len(s + b - 1, 1);
    if (b - a >= 2 && c == 0xA0 && u[b - 2] == 0xC2) return 2;
    return b - a >= 3 && st_space_len(s + b - 3, 3) == 3 ? 3 : 0;
}

/* [*a, *b) without surrounding white space (inlined in the loops over
 * lines; st_trim elsewhere). */
static inline __attribute__((always_inline)) void st_trim_inline(const char *s, size_t *a, size_t *b)
{
    size_t m;
    while (*a < *b && (m = st_blank_len(s + *a, *b - *a)) != 0) *a += m;
    while (*b > *a && (m = st_blank_before(s, *a, *b)) != 0) *b -= m;
}

static void st_trim(const char *s, size_t *a, size_t *b) { st_trim_inline(s, a, b); }

/* Chinese numeral characters used in markers. */
static bool st_is_cn_numeral(uint32_t c)
{
    switch (c) {
    case 0x4E00: case 0x4E8C: case 0x4E09: case 0x56DB: case 0x4E94: /* 一二三四五 */
    case 0x516D: case 0x4E03: case 0x516B: case 0x4E5D: case 0x5341: /* 六七八九十 */
    case 0x767E: case 0x96F6: case 0x3007: case 0x4E24:             /* 百零〇两 */
        return true;
    default:
        return false;
    }
}

static bool st_is_digit_cp(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19); }

/* Byte length of an enumeration marker at the start of s[0, n), or 0:
 * 一、 一． （一） (一) 1. 1、 1） （1） 第一， 第一部分 ① 一是 一要 一则. */
static size_t st_marker_len(const char *s, size_t n)
{
    size_t i = 0, m;
    uint32_t c = st_utf8_next(s, n, &m);
    if (c >= 0x2460 && c <= 0x2473) return m; /* ①…⑳ */
    if (c == '(' || c == 0xFF08) {
        i = m;
        size_t k = 0;
        while (i < n) {
            c = st_utf8_next(s + i, n - i, &m);
            if (!st_is_cn_numeral(c) && !st_is_digit_cp(c)) break;
            i += m;
            k++;
        }
        if (k == 0 || k > 3 || i >= n) return 0;
        c = st_utf8_next(s + i, n - i, &m);
        return c == ')' || c == 0xFF09 ? i + m : 0;
    }
    if (c == 0x7B2C) { /* 第 */
        i = m;
        size_t k = 0;
        while (i < n) {
            c = st_utf8_next(s + i, n - i, &m);
            if (!st_is_cn_numeral(c) && !st_is_digit_cp(c)) break;
            i += m;
            k++;
        }
        if (k == 0 || k > 3 || i >= n) return 0;
        c = st_utf8_next(s + i, n - i, &m);
        if (c == 0x3001 || c == 0xFF0C || c == ',' || c == 0xFF1A || c == ':' || c == 0x7AE0 || c == 0x8282)
            return i + m; /* 、，：章节 */
        if (c == 0x90E8 && i + m < n) { /* 部分 */
            size_t m2;
            if (st_utf8_next(s + i + m, n - i - m, &m2) == 0x5206) return i + m + m2;
        }
        return 0;
    }
    if (st_is_cn_numeral(c)) {
        size_t k = 0;
        while (i < n) {
            c = st_utf8_next(s + i, n - i, &m);
            if (!st_is_cn_numeral(c)) break;
            i += m;
            k++;
        }
        if (k > 3 || i >= n) return 0;
        c = st_utf8_next(s + i, n - i, &m);
        if (c == 0x3001 || c == 0xFF0E || c == '.') return i + m; /* 、．. */
        if (k == 1 && (c == 0x662F || c == 0x8981 || c == 0x5219)) return i + m; /* 是要则 */
        return 0;
    }
    if (st_is_digit_cp(c)) {
        size_t k = 0;
        while (i < n) {
            c = st_utf8_next(s + i, n - i, &m);
            if (!st_is_digit_cp(c)) break;
            i += m;
            k++;
        }
        if (k > 2 || i >= n) return 0;
        c = st_utf8_next(s + i, n - i, &m);
        if (c == '.' || c == 0xFF0E || c == 0x3001 || c == ')' || c == 0xFF09) {
            size_t m2;
            if (i + m < n && st_is_digit_cp(st_utf8_next(s + i + m, n - i - m, &m2))) return 0; /* 1.5 */
            return i + m;
        }
        return 0;
    }
    return 0;
}

/* ---- removed spans ---- */

static bool st_span_before(const st_removed_span *a, const st_removed_span *b)
{
    return a->start < b->start || (a->start == b->start && a->end > b->end);
}

/* Stable merge sort by start, longer first; then overlapping spans are merged
 * (the merged span keeps the rule of the one that starts first, or of the
 * longer one, or of the one found first). */
static void st_sort_merge(st_doc *doc)
{
    size_t n = doc->removed_count;
    st_removed_span *a = doc->removed;
    if (n < 2) return;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) sorted = !st_span_before(&a[i], &a[i - 1]);
    if (!sorted) {
        st_removed_span *tmp = malloc(n * sizeof *tmp);
        if (!tmp) abort();
        for (size_t w = 1; w < n; w *= 2) {
            for (size_t lo = 0; lo < n; lo += 2 * w) {
                size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                size_t i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = st_span_before(&a[j], &a[i]) ? a[j++] : a[i++];
                while (i < mid) tmp[k++] = a[i++];
                while (j < hi) tmp[k++] = a[j++];
            }
            memcpy(a, tmp, n * sizeof *a);
        }
        free(tmp);
    }
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        if (a[i].start < a[o].end) {
            if (a[i].end > a[o].end) a[o].end = a[i].end;
        } else {
            a[++o] = a[i];
        }
    }
    doc->removed_count = o + 1;
}

/* Index of the first of the first `count` spans with end > off (those
 * spans sorted and merged). */
static size_t st_span_search(const st_doc *doc, size_t count, size_t off)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (doc->removed[mid].end <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Is every non-space character of src[a, b) inside the first `count`
 * removed spans? Sets *rule to the rule of the span covering the first one. */
static bool st_covered_n(const st_doc *doc, size_t count, size_t a, size_t b, const char **rule)
{
    const char *s = doc->src;
    size_t i = st_span_search(doc, count, a), pos = a, m;
    if (rule) *rule = NULL;
    bool first = true;
    while (pos < b) {
        uint32_t c = st_utf8_next(s + pos, b - pos, &m);
        if (c == '\n' || st_is_space(c)) { pos += m; continue; }
        while (i < count && doc->removed[i].end <= pos) i++;
        if (i == count || doc->removed[i].start > pos) return false;
        if (first && rule) *rule = doc->removed[i].rule;
        first = false;
        pos = doc->removed[i].end;
    }
    return true;
}

static bool st_covered(const st_doc *doc, size_t a, size_t b, const char **rule)
{
    return st_covered_n(doc, doc->removed_count, a, b, rule);
}

/* ---- layout ----
 *
 * Copies damage the layout, and line rules and the structural rules need
 * the lines of the speech. So the noise stage reads a working copy of the
 * text in which:
 *  - a hard-wrapped copy (most lines have one width W) has its paragraphs
 *    joined back: the line break after a line of width W that is followed by
 *    more text is taken out;
 *  - a flattened copy (the whole speech on one to three very long lines) has
 *    its lines back: its lines were joined with blanks, so a run of blanks
 *    becomes a line break, unless it is between two ASCII letters or digits;
 *  - a traditional text is in simplified script (the rules are written in
 *    simplified; every character keeps its 3 bytes).
 * What is found there is mapped back to the source at the end; a removal
 * never takes a line break of the source (it is cut around it). */

enum { ST_LAYOUT_PLAIN, ST_LAYOUT_WRAPPED, ST_LAYOUT_FLAT };

typedef struct st_layout {
    int mode;
    size_t width; /* ST_LAYOUT_WRAPPED */
} st_layout;

static size_t st_pline_start(const char *s, size_t pos)
{
    const char *p = pos ? memrchr(s, '\n', pos) : NULL;
    return p ? (size_t)(p - s) + 1 : 0;
}

static size_t st_pline_end(const char *s, size_t n, size_t pos)
{
    const char *p = pos < n ? memchr(s + pos, '\n', n - pos) : NULL;
    return p ? (size_t)(p - s) : n;
}

/* Counts a line of c characters; *best stays the first of the most common
 * lengths from 15 to 200 (a count only grows by one). */
static inline void st_hist_add(size_t *hist, size_t c, size_t *best)
{
    hist[c]++;
    if (c >= 15 && (hist[c] > hist[*best] || (hist[c] == hist[*best] && c < *best))) *best = c;
}

/* The most common line length (at least 15 characters) of the first 64 KB,
 * when at least 5 and 30% of the lines have it, is the width of a
 * hard-wrapped copy. A flattened copy has one to three lines of which one
 * has at least 3000 bytes. tab, when not NULL, is a doc whose line table
 * is that of s: it gives the characters of whole lines. */
static void st_layout_detect(const char *s, size_t n, const st_doc *tab, st_layout *L)
{
    size_t pos = 0, nonempty = 0, longest = 0;
    L->mode = ST_LAYOUT_PLAIN;
    L->width = 0;
    while (pos < n && nonempty <= 3) {
        size_t le = st_pline_end(s, n, pos), a = pos, b = le;
        st_trim(s, &a, &b);
        if (b > a) {
            nonempty++;
            if (b - a > longest) longest = b - a;
        }
        pos = le + 1;
    }
    if (nonempty >= 1 && nonempty <= 3 && longest >= 3000) {
        L->mode = ST_LAYOUT_FLAT;
        return;
    }
    size_t lim = n < 65536 ? n : 65536, hist[201] = {0}, lines = 0, best = 15;
    pos = 0;
    if (tab) {
        /* whole lines of the line table of s (tab): their characters are
         * known, less the blanks that trimming takes off (no \n and no
         * search) */
        const size_t *start = tab->line_start, *chars = tab->line_chars;
        for (size_t k = 0; k + 1 < tab->line_count && start[k + 1] <= lim; k++) {
            size_t le = start[k + 1] - 1, a = pos, b = le;
            st_trim_inline(s, &a, &b);
            if (b > a) {
                size_t c = chars[k + 1] - chars[k] - 1;
                if (a > pos) c -= st_utf8_count(s + pos, a - pos);
                if (le > b) c -= st_utf8_count(s + b, le - b);
                if (b - a > 800) c = 201;
                if (c <= 200) st_hist_add(hist, c, &best);
                lines++;
            }
            pos = le + 1;
        }
    }
    while (pos < lim) {
        size_t le = st_pline_end(s, lim, pos), a = pos, b = le;
        st_trim(s, &a, &b);
        if (b > a) {
            size_t c = st_utf8_count(s + a, b - a);
            if (b - a > 800) c = 201;
            if (c <= 200) st_hist_add(hist, c, &best);
            lines++;
        }
        pos = le + 1;
    }
    if (hist[best] >= 5 && hist[best] * 10 >= lines * 3) {
        L->mode = ST_LAYOUT_WRAPPED;
        L->width = best;
    }
}

/* A page number or page header on its own line (- 1 -, 第2页 共8页, 3/10):
 * numbers of up to 4 digits with dashes, 第 页 共, slashes or separators
 * around them. Digits alone are not: they may end a number broken by the
 * wrap (QQ20 / 6157060). */
static bool st_page_furniture(const char *s, size_t len)
{
    size_t chars = 0, digits = 0, run = 0, marks = 0, m;
    for (size_t i = 0; i < len; i += m, chars++) {
        uint32_t c = st_utf8_next(s + i, len - i, &m);
        if ((c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19)) {
            digits++;
            if (++run > 4) return false;
            continue;
        }
        run = 0;
        if (st_is_space(c)) continue;
        if (!(c == '-' || c == 0xFF0D || c == 0x2014 || c == 0x2013 || c == 0x7B2C || c == 0x9875 || c == 0x5171 ||
              c == '/' || c == 0xFF0F || c == '|' || c == ',' || c == 0xFF0C || c == 0x3001))
            return false; /* digits and - － — – 第 页 共 / ／ | , ， 、 */
        marks++;
    }
    return digits > 0 && marks > 0 && chars <= 20;
}

/* In a wrapped copy: does the line [ls, le) go on in the next line? It is
 * about as wide as the wrap (a line that ends a sentence must be full), and
 * the next line has text that is not an enumerated item nor a page number
 * (which the page-header rule then finds on its own line; the segmenter
 * joins the lines around it). */
static bool st_goes_on(const char *s, size_t n, const st_layout *L, size_t ls, size_t le)
{
    if (le >= n) return false;
    size_t a = ls, b = le, m;
    st_trim(s, &a, &b);
    if (b <= a || b - a > 4 * (L->width + 2)) return false;
    size_t chars = st_utf8_count(s + a, b - a);
    if (chars + 2 < L->width || chars > L->width + 2) return false;
    uint32_t last = st_utf8_prev(s + a, b - a, &m);
    if (chars < L->width && (st_is_sentence_end(last) || last == 0x201D || last == 0x300D)) return false;
    size_t p = le + 1, e = st_pline_end(s, n, p);
    st_trim(s, &p, &e);
    return e > p && st_marker_len(s + p, e - p) == 0 && !st_page_furniture(s + p, e - p);
}

/* A run of blanks [bs, be) inside the line [ls, le) of a flattened copy that
 * ends a line: not between two ASCII letters or digits (Page 2 of 9). */
static bool st_flat_break(const char *s, size_t ls, size_t le, size_t bs, size_t be)
{
    return bs > ls && be < le &&
           !(st_is_ascii_alnum((unsigned char)s[bs - 1]) && st_is_ascii_alnum((unsigned char)s[be]));
}

/* The working copy of a wrapped or flattened text (NULL for plain text).
 * A wrapped copy loses line breaks: *cuts gets the offsets in the copy where
 * one was taken out. A flattened copy keeps its length. */
static char *st_layout_copy(const char *s, size_t n, const st_layout *L, size_t **cuts, size_t *ncuts)
{
    *cuts = NULL;
    *ncuts = 0;
    if (L->mode == ST_LAYOUT_PLAIN) return NULL;
    char *o = malloc(n + 1);
    if (!o) abort();
    if (L->mode == ST_LAYOUT_FLAT) {
        memcpy(o, s, n + 1);
        size_t pos = 0, m;
        while (pos < n) {
            size_t le = st_pline_end(s, n, pos);
            for (size_t i = pos; i < le;) {
                uint32_t c = st_utf8_next(s + i, le - i, &m);
                if (!st_is_space(c)) { i += m; continue; }
                size_t be = i;
                while (be < le && st_is_space(st_utf8_next(s + be, le - be, &m))) be += m;
                if (st_flat_break(s, pos, le, i, be)) {
                    /* the break takes the last byte of the first blank, so
                     * that both lines start and end on whole characters */
                    st_utf8_next(s + i, le - i, &m);
                    for (size_t k = 0; k + 1 < m; k++) o[i + k] = ' ';
                    o[i + m - 1] = '\n';
                }
                i = be;
            }
            pos = le + 1;
        }
        return o;
    }
    size_t cap = 0, k = 0, pos = 0;
    while (pos < n) {
        size_t le = st_pline_end(s, n, pos);
        memcpy(o + k, s + pos, le - pos);
        k += le - pos;
        if (le < n) {
            if (st_goes_on(s, n, L, pos, le)) {
                if (*ncuts == cap) {
                    cap = cap ? 2 * cap : 256;
                    *cuts = realloc(*cuts, cap * sizeof **cuts);
                    if (!*cuts) abort();
                }
                (*cuts)[(*ncuts)++] = k;
            } else {
                o[k++] = '\n';
            }
        }
        pos = le + 1;
    }
    o[k] = 0;
    return o;
}

/* Source offset of offset j of the wrapped working copy: a start goes after
 * a line break that was taken out there, an end stays before it. */
static size_t st_copy_to_src(const size_t *cuts, size_t ncuts, size_t j, bool end)
{
    size_t lo = 0, hi = ncuts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (end ? cuts[mid] < j : cuts[mid] <= j) lo = mid + 1;
        else hi = mid;
    }
    return j + lo;
}

/* The line holding the byte at pos: [*ls, *le). */
static void st_line_at(const st_doc *doc, size_t pos, size_t *ls, size_t *le)
{
    *ls = st_pline_start(doc->src, pos);
    *le = st_pline_end(doc->src, doc->src_len, pos);
}

/* Removes [a, b) without white space at either end, cut around the line
 * breaks in it. */
static void st_remove_range(st_doc *doc, size_t a, size_t b, const char *rule)
{
    const char *s = doc->src;
    while (a < b) {
        const char *nl = memchr(s + a, '\n', b - a);
        size_t e = nl ? (size_t)(nl - s) : b;
        size_t x = a, y = e;
        st_trim(s, &x, &y);
        if (y > x) st_add_removed(doc, x, y, rule);
        a = e + 1;
    }
}

typedef struct st_line {
    size_t ls, le;   /* the line without its \n */
    size_t cs, ce;   /* trimmed content */
    size_t chars;    /* characters of the content; ST_LINE_LONG for a long line */
} st_line;

/* The rules compare a line's characters with at most 80: a line of at least
 * 4 * 81 bytes has more than 80 and is not counted (lines of the head and
 * tail are often whole paragraphs). */
enum { ST_LINE_LONG = 81 };

static void st_line_fill(const char *s, size_t ls, size_t le, st_line *L)
{
    L->ls = ls;
    L->le = le;
    L->cs = ls;
    L->ce = le;
    st_trim(s, &L->cs, &L->ce);
    size_t bytes = L->ce - L->cs;
    L->chars = bytes >= 4 * ST_LINE_LONG ? ST_LINE_LONG : st_utf8_count(s + L->cs, bytes);
}

static size_t st_skip_blank(const char *s, size_t n, size_t pos)
{
    size_t m;
    while (pos < n) {
        uint32_t c = st_utf8_next(s + pos, n - pos, &m);
        if (c != '\n' && !st_is_space(c)) break;
        pos += m;
    }
    return pos;
}

/* The first non-empty lines of the text (up to ST_HEAD_LINES), found as
 * the rules ask for them: most documents need only a few. */
enum { ST_HEAD_LINES = 60 };
typedef struct st_head {
    const st_doc *doc;
    st_line line[ST_HEAD_LINES];
    size_t count, pos; /* lines found; where the search goes on */
    bool done;
} st_head;

/* Line i of the head, or NULL when the text has no more. */
static const st_line *st_head_line(st_head *H, size_t i)
{
    const char *s = H->doc->src;
    size_t n = H->doc->src_len;
    while (H->count <= i && !H->done) {
        size_t pos = st_skip_blank(s, n, H->pos);
        if (H->count == ST_HEAD_LINES || pos >= n) {
            H->done = true;
            break;
        }
        size_t a, b;
        st_line_at(H->doc, pos, &a, &b);
        st_line_fill(s, a, b, &H->line[H->count++]);
        H->pos = b > pos ? b : pos + 1;
    }
    return i < H->count ? &H->line[i] : NULL;
}

/* The last non-empty lines of the text (up to ST_TAIL_LINES), from the end,
 * found as the rules ask for them. */
enum { ST_TAIL_LINES = 20 };
typedef struct st_tail {
    const st_doc *doc;
    st_line line[ST_TAIL_LINES]; /* line[0] is the last one */
    size_t count, end; /* lines found; where the search goes on (backwards) */
} st_tail;

/* The r-th line from the end (0: the last one), or NULL. */
static const st_line *st_tail_line(st_tail *T, size_t r)
{
    const char *s = T->doc->src;
    size_t m;
    while (T->count <= r && T->count < ST_TAIL_LINES && T->end > 0) {
        uint32_t c = st_utf8_prev(s, T->end, &m);
        if (c == '\n' || st_is_space(c)) { T->end -= m; continue; }
        size_t a, b;
        st_line_at(T->doc, T->end - m, &a, &b);
        st_line_fill(s, a, b, &T->line[T->count++]);
        T->end = a < T->end ? a : T->end - m;
    }
    return r < T->count ? &T->line[r] : NULL;
}

/* The text of a line that is still there (removed spans and line breaks cut
 * out, white space trimmed) into buf; returns its length, or (size_t)-1 when
 * it does not fit. */
static size_t st_visible(const st_doc *doc, const st_line *L, char *buf, size_t cap)
{
    const char *s = doc->src;
    size_t o = 0, pos = L->cs, i = st_span_search(doc, doc->removed_count, L->cs);
    while (pos < L->ce) {
        while (i < doc->removed_count && doc->removed[i].end <= pos) i++;
        size_t stop = L->ce;
        if (i < doc->removed_count && doc->removed[i].start < stop) stop = doc->removed[i].start;
        for (size_t p = pos; p < stop;) { /* [p, stop) in pieces between line breaks */
            const char *nl = memchr(s + p, '\n', stop - p);
            size_t e = nl ? (size_t)(nl - s) : stop;
            if (e - p > cap - o) return (size_t)-1;
            memcpy(buf + o, s + p, e - p);
            o += e - p;
            p = nl ? e + 1 : stop;
        }
        if (stop == L->ce) break;
        pos = doc->removed[i].end > stop ? doc->removed[i].end : stop;
    }
    size_t a = 0, b = o;
    st_trim(buf, &a, &b);
    memmove(buf, buf + a, b - a);
    return b - a;
}

static bool st_same_visible(const st_doc *doc, const st_line *x, const st_line *y)
{
    char bx[400], by[400];
    size_t lx = st_visible(doc, x, bx, sizeof bx), ly = st_visible(doc, y, by, sizeof by);
    return lx != (size_t)-1 && lx == ly && lx > 0 && memcmp(bx, by, lx) == 0;
}

static bool st_has_sentence_punct(const char *s, size_t a, size_t b)
{
    size_t m;
    for (size_t i = a; i < b; i += m) {
        uint32_t c = st_utf8_next(s + i, b - i, &m);
        if (c == 0xFF0C || c == ',' || st_is_sentence_end(c)) return true;
    }
    return false;
}

/* ---- censored words and redactions ---- */

static void st_push_censor(st_doc *doc, size_t start, size_t end, const char *expansion)
{
    st_censor_span *c = ST_PUSH(doc->censored, doc->censored_count, doc->censored_cap);
    c->start = start;
    c->end = end;
    c->expansion = expansion;
}

/* A placeholder run [a, b) (x, X, *, …) may be the end of a year (202X, 20**):
 * returns the start including the digits, or (size_t)-1 when digits touch it
 * in another way (3x4, A4 sizes and the like are not placeholders). */
static size_t st_placeholder_start(const char *s, size_t n, size_t a, size_t b)
{
    if (b < n && st_is_ascii_digit((unsigned char)s[b])) return (size_t)-1;
    size_t k = 0;
    while (k < a && st_is_ascii_digit((unsigned char)s[a - k - 1])) k++;
    if (k == 0) return a;
    if (k >= 2 && k <= 3 && k + (b - a) == 4 && (s[a - k] == '1' || s[a - k] == '2') &&
        (a - k == 0 || !st_is_ascii_alnum((unsigned char)s[a - k - 1])))
        return a - k;
    return (size_t)-1;
}

static bool st_url_char(char c) { return c == '.' || c == '/' || c == '@' || c == '_' || c == '\\' || c == '-' || c == '='; }

/* A run of ASCII letters [a, b): dictionary words and x-runs. */
static void st_censor_letters(st_doc *doc, const st_rules *r, size_t a, size_t b)
{
    const char *s = doc->src;
    size_t n = b - a, len = doc->src_len;
    if (n > 64) return;
    /* part of an address, a file name or an identifier */
    if ((a > 0 && st_url_char(s[a - 1])) || (b < len && st_url_char(s[b]) && b + 1 < len && st_is_ascii_alnum((unsigned char)s[b + 1])))
        return;
    char low[64];
    bool all_x = true;
    for (size_t k = 0; k < n; k++) {
        low[k] = (char)(s[a + k] | 0x20);
        all_x &= low[k] == 'x';
    }
    if (all_x) {
        size_t st = st_placeholder_start(s, len, a, b);
        if (st != (size_t)-1) st_push_censor(doc, st, b, NULL);
        return;
    }
    if (!r->word_count) return;
    if (b < len && st_is_ascii_digit((unsigned char)s[b])) return;
    if (a > 0 && st_is_ascii_digit((unsigned char)s[a - 1])) return;
    /* (the run starts with an x or a word, or nothing splits it) */
    const uint64_t *lens = r->word_lens; /* of the words by first letter */
    if (low[0] != 'x' && !lens[low[0] - 'a']) return;
    /* ok[p]: low[p, n) splits into dictionary words and x-runs */
    bool ok[65];
    const st_dict_word *best[64];
    ok[n] = true;
    for (size_t p = n; p-- > 0;) {
        ok[p] = false;
        best[p] = NULL;
        /* the lengths of the words with this first letter that fit, longest first */
        size_t room = n - p < 32 ? n - p : 32; /* words have up to 32 letters */
        uint64_t fit = lens[low[p] - 'a'] & ((2ull << room) - 1);
        while (fit) {
            size_t l = 63 - (size_t)__builtin_clzll(fit);
            fit &= ~(1ull << l);
            if (!ok[p + l]) continue;
            const st_dict_word *w = st_dict_lookup(r, low + p, l);
            if (w) {
                ok[p] = true;
                best[p] = w;
                break;
            }
        }
        if (!ok[p] && low[p] == 'x') {
            for (size_t k = 1; p + k <= n && low[p + k - 1] == 'x'; k++)
                if (ok[p + k]) { ok[p] = true; break; }
        }
    }
    if (!ok[0]) return;
    size_t p = 0;
    while (p < n) {
        if (best[p]) {
            st_push_censor(doc, a + p, a + p + best[p]->len, best[p]->expansion);
            p += best[p]->len;
            continue;
        }
        size_t k = 0;
        while (p + k < n && low[p + k] == 'x') k++;
        while (k > 1 && !ok[p + k]) k--;
        st_push_censor(doc, a + p, a + p + k, NULL);
        p += k;
    }
}

/* ---- the scan ---- */

enum { ST_DELIM_EDGE, ST_DELIM_COMMA, ST_DELIM_STOP };

typedef struct st_wm_cand {
    size_t rs, re;        /* the raw clause between its delimiters */
    size_t ps, pe;        /* trimmed phrase */
    size_t pre_s;         /* start of the delimiter before it */
    size_t post_e;        /* end of the delimiter after it */
    uint8_t pre_kind, post_kind;
} st_wm_cand;

/* Where a "requires" literal of a rule starts. */
typedef struct st_hit {
    uint32_t rule;
    size_t pos;
    size_t line_start; /* of the line holding pos */
} st_hit;

/* A pinyin annotation; digit: its tone is a digit (dui4), not a mark. */
typedef struct st_pin {
    size_t start, end;
    bool digit;
} st_pin;

/* The end of a credit word (整理 原创 …) or a site's 网: a watermark may end
 * here, written into the text without punctuation around it. */
typedef struct st_anchor {
    size_t pos, len;
    bool credit;
} st_anchor;

typedef struct st_scan {
    st_pin *pinyin;
    size_t pinyin_count, pinyin_cap;
    st_anchor *anchors;
    size_t anchor_count, anchor_cap;
    st_wm_cand *wm;
    size_t wm_count, wm_cap;
    st_hit *hits;
    size_t hit_count, hit_cap;
    size_t *last_line; /* per rule: line of its last hit */
    size_t trad_seen;  /* traditional characters seen, counted up to 2 */
} st_scan;

/* Site-ish words of a watermark phrase. A watermark names a site and what it
 * did: 稿子铺整理, XX范文网原创, www.example.com. */
static const st_word st_wm_credit[] = {
    ST_W("整理"), ST_W("原创"), ST_W("出品"), ST_W("首发"), ST_W("独家"), ST_W("编辑"), {NULL, 0}};
static const st_word st_wm_site_any[] = {
    ST_W("范文网"), ST_W("公文网"), ST_W("文秘网"), ST_W("材料网"), ST_W("写作网"), ST_W("文库"), ST_W("稿子铺"),
    ST_W("www"), ST_W("WWW"), ST_W(".com"), ST_W(".cn"), ST_W(".net"), {NULL, 0}};
/* Does p[0, n) hold a word of speech that a site name does not contain
 * (的 了 把 被 们 和 与 对 将 要 在 是 不 从 向 为)? Each is one 3-byte
 * character, so one pass over the bytes tells. */
static bool st_has_speech_word(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i + 3 <= n; i++) {
        if ((u[i] & 0xF0) != 0xE0 || (u[i + 1] & 0xC0) != 0x80 || (u[i + 2] & 0xC0) != 0x80) continue;
        switch (((uint32_t)(u[i] & 0x0F) << 12) | ((uint32_t)(u[i + 1] & 0x3F) << 6) | (uint32_t)(u[i + 2] & 0x3F)) {
        case 0x7684: case 0x4E86: case 0x628A: case 0x88AB: case 0x4EEC: case 0x548C: case 0x4E0E: case 0x5BF9:
        case 0x5C06: case 0x8981: case 0x5728: case 0x662F: case 0x4E0D: case 0x4ECE: case 0x5411: case 0x4E3A:
            return true;
        default: break;
        }
    }
    return false;
}
/* what comes before 整理 etc. in a speech: 认真整理, 意见整理 */
static const st_word st_wm_not_name[] = {
    ST_W("认真"), ST_W("及时"), ST_W("全面"), ST_W("系统"), ST_W("统一"), ST_W("集中"), ST_W("分类"), ST_W("汇总"),
    ST_W("收集"), ST_W("梳理"), ST_W("归纳"), ST_W("加以"), ST_W("进行"), ST_W("做好"), ST_W("抓好"), ST_W("仔细"),
    ST_W("重新"), ST_W("逐一"), ST_W("逐条"), ST_W("深入"), ST_W("细致"), ST_W("专人"), ST_W("规范"), ST_W("资料"),
    ST_W("材料"), ST_W("问题"), ST_W("意见"), ST_W("档案"), ST_W("台账"), ST_W("清单"), ST_W("信息"), ST_W("数据"),
    ST_W("文件"), ST_W("建议"), ST_W("成果"), ST_W("经验"), ST_W("笔记"), ST_W("内容"), ST_W("情况"), ST_W("会议"),
    ST_W("记录"), ST_W("整改"), ST_W("排查"), ST_W("查摆"), ST_W("自查"), ST_W("初步"), ST_W("进一步"), ST_W("再"),
    ST_W("已"), ST_W("均"), ST_W("并"), ST_W("后"), ST_W("经"), {NULL, 0}};
/* 网 ends a site name after these (范文网, 文库网, 稿子网) but not in 互联网 电网 一张网 */
static const char st_wm_net_before[] = "文稿材料库范秘站作章家吧铺屋阁苑堂汇集宝典";

static inline bool st_wm_credit_end(const char *p, size_t n);

/* The first two bytes of the site words, a bit per pair (built once): a
 * place where none starts is passed over at once. */
static uint8_t st_site_pairs[8192];
static pthread_once_t st_site_pairs_once = PTHREAD_ONCE_INIT;

static void st_build_site_pairs(void)
{
    for (const st_word *w = st_wm_site_any; w->s; w++) {
        uint32_t pair = (uint32_t)(unsigned char)w->s[0] << 8 | (unsigned char)w->s[1]; /* words have 2+ bytes */
        st_site_pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
    }
}

/* st_contains_any(p, n, st_wm_site_any) in one pass. */
static bool st_has_site_word(const char *p, size_t n)
{
    pthread_once(&st_site_pairs_once, st_build_site_pairs);
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t pair = (uint32_t)(unsigned char)p[i] << 8 | (unsigned char)p[i + 1];
        if (st_bit(st_site_pairs, pair) && st_starts_with_any(p + i, n - i, st_wm_site_any)) return true;
    }
    return false;
}

static bool st_wm_siteish(const char *p, size_t n, bool site)
{
    bool yes = false;
    /* (a credit word ends with the character st_wm_credit_end looks for) */
    for (const st_word *w = st_wm_credit; w->s && !yes && st_wm_credit_end(p, n); w++) {
        if (!st_ends_with(p, n, w->s)) continue;
        size_t pre = n - w->len;
        if (st_utf8_count(p, pre) < 2 || st_ends_with_any(p, pre, st_wm_not_name)) return false;
        yes = true;
    }
    if (!yes && site) {
        if (st_ends_with(p, n, "铺")) {
            yes = st_utf8_count(p, n) >= 3;
        } else if (st_ends_with(p, n, "网") && n >= 6) {
            /* the character before 网 */
            yes = memmem(st_wm_net_before, sizeof st_wm_net_before - 1, p + n - 6, 3) != NULL &&
                  ((unsigned char)p[n - 6] & 0xC0) != 0x80;
        }
        if (!yes) yes = st_has_site_word(p, n);
    }
    return yes && !st_has_speech_word(p, n);
}

/* Does the phrase end with the last character of a credit word (整理 原创
 * 出品 首发 独家 编辑)? A cheap test before the real one. */
static inline bool st_wm_credit_end(const char *p, size_t n)
{
    if (n < 3) return false;
    const unsigned char *e = (const unsigned char *)p + n - 3;
    if (e[0] != 0xE5 && e[0] != 0xE7 && e[0] != 0xE8) return false; /* their lead bytes */
    if ((e[1] & 0xC0) != 0x80 || (e[2] & 0xC0) != 0x80) return false;
    switch (((uint32_t)(e[0] & 0x0F) << 12) | ((uint32_t)(e[1] & 0x3F) << 6) | (uint32_t)(e[2] & 0x3F)) {
    case 0x7406: case 0x521B: case 0x54C1: case 0x53D1: case 0x5BB6: case 0x8F91: return true; /* 理创品发家辑 */
    default: return false;
    }
}

/* The cheap tests of st_clause, made before calling it: is the raw clause
 * [rs, re) short, with a site-ish character or ending with a credit word?
 * Most clauses are speech. */
static inline bool st_clause_may_be_watermark(const char *s, size_t rs, size_t re, bool site)
{
    /* most clauses end with a character that is not a credit word's: its
     * last byte rules it out, unless it is one of 理创品发家辑's (0x86 0x9B
     * 0x81 0x91 0xB6, modulo 64) or a blank */
    const uint64_t maybe = 1ull << (0x86 & 63) | 1ull << (0x9B & 63) | 1ull << (0x81 & 63) | 1ull << (0x91 & 63) |
                           1ull << (0xB6 & 63) | 1ull << ' ' | 1ull << '\t';
    if (!site && (re == rs || !((maybe >> ((unsigned char)s[re - 1] & 63)) & 1))) return false;
    if (re - rs - 6 > 60 - 6) return false; /* 6 to 60 bytes (re >= rs) */
    if (site) return true;
    size_t e = re;
    while (e > rs && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
    return st_wm_credit_end(s + rs, e - rs);
}

/* A clause that passed st_clause_may_be_watermark: records it when its
 * phrase looks like a watermark. */
static void st_clause(st_scan *sc, const char *s, size_t rs, size_t re, size_t pre_s, uint8_t pre_kind,
                      size_t post_e, uint8_t post_kind, bool site)
{
    size_t ps = rs, pe = re;
    st_trim(s, &ps, &pe);
    size_t bytes = pe - ps;
    if (bytes < 6 || bytes > 40) return;
    size_t chars = st_utf8_count(s + ps, bytes);
    if (chars < 2 || chars > 10) return;
    if (!st_wm_siteish(s + ps, bytes, site)) return;
    st_wm_cand *w = ST_PUSH(sc->wm, sc->wm_count, sc->wm_cap);
    w->rs = rs;
    w->re = re;
    w->ps = ps;
    w->pe = pe;
    w->pre_s = pre_s;
    w->post_e = post_e;
    w->pre_kind = pre_kind;
    w->post_kind = post_kind;
}

/* The base letter of a pinyin letter with a tone mark (ā → a, ǚ → v), the
 * letter itself for a-z, or 0. */
static char st_pinyin_base(uint32_t c, bool *marked)
{
    *marked = true;
    switch (c) {
    case 0x101: case 0xE1: case 0x1CE: case 0xE0: return 'a';
    case 0x113: case 0xE9: case 0x11B: case 0xE8: case 0xEA: case 0x1EBF: case 0x1EC1: return 'e';
    case 0x12B: case 0xED: case 0x1D0: case 0xEC: return 'i';
    case 0x14D: case 0xF3: case 0x1D2: case 0xF2: return 'o';
    case 0x16B: case 0xFA: case 0x1D4: case 0xF9: return 'u';
    case 0x1D6: case 0x1D8: case 0x1DA: case 0x1DC: return 'v';
    case 0x144: case 0x148: case 0x1F9: return 'n';
    case 0x1E3F: return 'm';
    default: break;
    }
    *marked = false;
    if (c == 0xFC) return 'v'; /* ü */
    if (c >= 'a' && c <= 'z') return (char)c;
    return 0;
}

/* Is p[0, n) (lower case, ü as v) a pinyin syllable: an initial and a final? */
static bool st_is_pinyin_syllable(const char *p, size_t n)
{
    static const char *const initials[] = {"zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k",
                                           "h", "j", "q", "x", "r", "z", "c", "s", "y", "w", "", NULL};
    static const char *const finals[] = {
        "a", "o", "e", "i", "u", "v", "ai", "ei", "ui", "ao", "ou", "iu", "ie", "ve", "ue", "er", "an", "en",
        "in", "un", "vn", "ang", "eng", "ing", "ong", "ia", "iao", "ian", "iang", "iong", "ua", "uo", "uai",
        "uan", "uang", "ueng", "van", NULL};
    if (n == 1 && (p[0] == 'n' || p[0] == 'm')) return true;
    if ((n == 2 && memcmp(p, "ng", 2) == 0) || (n == 2 && memcmp(p, "hm", 2) == 0)) return true;
    for (const char *const *ini = initials; *ini; ini++) {
        size_t il = strlen(*ini);
        if (il > n || memcmp(p, *ini, il) != 0) continue;
        for (const char *const *fin = finals; *fin; fin++)
            if (strlen(*fin) == n - il && memcmp(p + il, *fin, n - il) == 0) return true;
    }
    return false;
}

/* A parenthesised pinyin syllable opening at i (open_len bytes of ( or （)
 * right after a Han character, with a tone mark (duì) or a tone digit
 * (dui4): returns its end, or 0. */
static size_t st_pinyin_at(const char *s, size_t n, size_t i, size_t open_len, bool *digit)
{
    size_t m;
    if (i == 0 || !st_is_han(st_utf8_prev(s, i, &m))) return 0;
    size_t j = i + open_len, pl = 0;
    bool marked = false;
    char plain[8];
    while (j < n) {
        bool mk;
        char l = st_pinyin_base(st_utf8_next(s + j, n - j, &m), &mk);
        if (!l) break;
        if (pl == 6) return 0;
        plain[pl++] = l;
        marked |= mk;
        j += m;
    }
    if (pl == 0 || j >= n) return 0;
    *digit = false;
    if (!marked) {
        if (s[j] < '1' || s[j] > '5') return 0;
        *digit = true;
        j++;
    }
    if (!st_is_pinyin_syllable(plain, pl)) return 0;
    if (j < n && s[j] == ')') return j + 1;
    if (j + 3 <= n && memcmp(s + j, "\xEF\xBC\x89", 3) == 0) return j + 3;
    return 0;
}

/* Record a pinyin annotation opening at i (its bracket open_len bytes long);
 * returns where it ends, or 0 when there is none. */
static size_t st_take_pinyin(st_scan *sc, const char *s, size_t n, size_t i, size_t open_len)
{
    bool digit;
    size_t e = st_pinyin_at(s, n, i, open_len, &digit);
    if (e) {
        st_pin *p = ST_PUSH(sc->pinyin, sc->pinyin_count, sc->pinyin_cap);
        p->start = i;
        p->end = e;
        p->digit = digit;
    }
    return e;
}

/* A run of one placeholder character (×, Ｘ, ＿, *, _) starting at i, each
 * `w` bytes: reports it when it is long enough; returns the end. */
static size_t st_placeholder_run(st_doc *doc, size_t i, const char *ch, size_t w, size_t min)
{
    const char *s = doc->src;
    size_t n = doc->src_len, j = i;
    while (j + w <= n && memcmp(s + j, ch, w) == 0) j += w;
    if ((j - i) / w >= min) {
        bool ascii = w == 1;
        bool glued = ascii && ((i > 0 && st_is_ascii_alpha((unsigned char)s[i - 1])) ||
                               (j < n && st_is_ascii_alpha((unsigned char)s[j])));
        size_t st = glued ? (size_t)-1 : st_placeholder_start(s, n, i, j);
        if (st != (size_t)-1) st_push_censor(doc, st, j, NULL);
    }
    return j;
}

/* Records that a "requires" literal of some rule starts at i, on the line
 * starting at ls. */
static void st_trigger(st_scan *sc, const st_rules *r, const char *s, size_t n, size_t i, uint32_t cp, size_t ls)
{
    size_t lo, hi = st_lits_of(r, cp, &lo);
    for (; lo < hi; lo++) {
        const st_literal *l = &r->lits[lo];
        /* the text at i starts with cp in its UTF-8 form (src is valid
         * UTF-8), so only the rest of the literal is compared */
        size_t k = l->first_len;
        if (sc->last_line[l->rule] == ls || l->len > n - i || !st_same_bytes(s + i + k, l->bytes + k, l->len - k))
            continue;
        sc->last_line[l->rule] = ls;
        st_hit *h = ST_PUSH(sc->hits, sc->hit_count, sc->hit_cap);
        h->rule = l->rule;
        h->pos = i;
        h->line_start = ls;
    }
}

static inline bool st_trig(const st_rules *r, uint32_t cp)
{
    return cp < 0x10000 && ((r->trig[cp >> 3] >> (cp & 7)) & 1);
}

/* May a "requires" literal start at i, where the text has the character cp
 * (a first character of some literal) in m bytes? Most places are ruled
 * out by the two bytes after it (st_rules.trig_pair). */
static inline bool st_trig_maybe(const st_rules *r, const char *s, size_t n, size_t i, uint32_t cp, size_t m)
{
    if (i + m + 2 > n || (r->chars[cp] & ST_CF_WHOLE)) return true;
    return r->trig_pair[st_trig_pair_hash(cp, (unsigned char)s[i + m], (unsigned char)s[i + m + 1])];
}

/* Is the character at p the second one of a credit word starting with cp
 * (整理 原创 出品 首发 独家)? */
static inline bool st_credit_second(uint32_t cp, const char *p)
{
    switch (cp) {
    case 0x6574: return memcmp(p, "理", 3) == 0; /* 整 */
    case 0x539F: return memcmp(p, "创", 3) == 0; /* 原 */
    case 0x51FA: return memcmp(p, "品", 3) == 0; /* 出 */
    case 0x9996: return memcmp(p, "发", 3) == 0; /* 首 */
    case 0x72EC: return memcmp(p, "家", 3) == 0; /* 独 */
    default: return false;
    }
}

/* The state of the scan, shared by its out-of-line parts so that the loop
 * over plain characters keeps everything it needs in registers. */
typedef struct st_scanner {
    st_doc *doc;
    const st_rules *r;
    st_scan *sc;
    const char *s;
    size_t n;
    size_t line_start;
    /* the current clause starts after the last delimiter; site tells whether
     * it has a character of a site name (网 库 铺, www, .com) */
    size_t clause_start, pre_s;
    uint8_t pre_kind;
    bool site;
    bool want_noise, triggers;
    uint8_t mask; /* the flags the scan acts on */
} st_scanner;

/* A delimiter of dlen bytes at pos; a line end has dlen 0 (a removal never
 * takes the \n) and the next clause starts after it. Clauses are wanted only
 * with the noise (want_noise): without it, the scan does not call this (the
 * mask has no ST_CF_COMMA, ST_CF_STOP). */
static inline void st_delim(st_scanner *z, size_t pos, size_t dlen, uint8_t kind)
{
    if (st_clause_may_be_watermark(z->s, z->clause_start, pos, z->site))
        st_clause(z->sc, z->s, z->clause_start, pos, z->pre_s, z->pre_kind, pos + dlen, kind, z->site);
    z->clause_start = pos + (kind == ST_DELIM_EDGE ? 1 : dlen);
    z->pre_s = pos;
    z->pre_kind = kind;
    z->site = false;
}

/* A 3-byte character cp at i with flags f (under the scan's mask); returns
 * where the scan goes on. */
static __attribute__((noinline)) size_t st_scan_flagged(st_scanner *z, size_t i, uint32_t cp, uint8_t f)
{
    st_scan *sc = z->sc;
    const char *s = z->s;
    size_t n = z->n;
    if ((f & ST_CF_TRAD) && ++sc->trad_seen == 2) z->mask &= (uint8_t)~ST_CF_TRAD;
    if ((f & ST_CF_TRIG) && st_trig_maybe(z->r, s, n, i, cp, 3)) st_trigger(sc, z->r, s, n, i, cp, z->line_start);
    if (f & ST_CF_SITE) {
        z->site = true;
        /* 网 after 文 稿 材 …: a site's name may end here */
        if (cp == 0x7F51 && i >= 3 && memmem(st_wm_net_before, sizeof st_wm_net_before - 1, s + i - 3, 3) &&
            ((unsigned char)s[i - 3] & 0xC0) != 0x80) {
            st_anchor *an = ST_PUSH(sc->anchors, sc->anchor_count, sc->anchor_cap);
            an->pos = i;
            an->len = 3;
            an->credit = false;
        }
    }
    if ((f & ST_CF_CREDIT) && i + 6 <= n && st_credit_second(cp, s + i + 3)) {
        st_anchor *an = ST_PUSH(sc->anchors, sc->anchor_count, sc->anchor_cap);
        an->pos = i;
        an->len = 6;
        an->credit = true;
    }
    if (f & ST_CF_COMMA) st_delim(z, i, 3, ST_DELIM_COMMA);
    if (f & ST_CF_STOP) st_delim(z, i, 3, ST_DELIM_STOP);
    if (f & ST_CF_PUNCT) {
        switch (cp) {
        case 0xFF08: /* （ */
            if (z->want_noise) {
                size_t e = st_take_pinyin(sc, s, n, i, 3);
                if (e) return e;
            }
            break;
        case 0xFF38: return st_placeholder_run(z->doc, i, "\xEF\xBC\xB8", 3, 1); /* Ｘ */
        case 0xFF58: return st_placeholder_run(z->doc, i, "\xEF\xBD\x98", 3, 1); /* ｘ */
        case 0xFF3F: return st_placeholder_run(z->doc, i, "\xEF\xBC\xBF", 3, 2); /* ＿ */
        case 0xFF0A: return st_placeholder_run(z->doc, i, "\xEF\xBC\x8A", 3, 2); /* ＊ */
        default: break;
        }
    }
    return i + 3;
}

/* A 3-byte character cp at i with flags f != 0: the most common flags (，。)
 * without a call. */
static inline __attribute__((always_inline)) size_t st_scan_flagged3(st_scanner *z, size_t i, uint32_t cp, uint8_t f)
{
    if (f == ST_CF_COMMA) {
        st_delim(z, i, 3, ST_DELIM_COMMA);
        return i + 3;
    }
    if (f == ST_CF_STOP) {
        st_delim(z, i, 3, ST_DELIM_STOP);
        return i + 3;
    }
    if (!(f & ~(ST_CF_TRIG | ST_CF_CREDIT))) {
        /* most of these start neither a literal nor a credit word: tell
         * without the call (st_trig_maybe, knowing there is no ST_CF_WHOLE) */
        const unsigned char *u = (const unsigned char *)z->s;
        if (!((f & ST_CF_TRIG) && (i + 5 > z->n || z->r->trig_pair[st_trig_pair_hash(cp, u[i + 3], u[i + 4])])) &&
            !((f & ST_CF_CREDIT) && i + 6 <= z->n && st_credit_second(cp, z->s + i + 3)))
            return i + 3;
    }
    return st_scan_flagged(z, i, cp, f);
}

#ifdef __SSE2__
/* *flags & mask != 0, as one test of the byte in memory (what the compiler
 * would otherwise do in two steps). */
static inline bool st_flag_test(const uint8_t *flags, uint8_t mask)
{
    bool set;
    __asm__("testb %2, %1" : "=@ccnz"(set) : "m"(*flags), "q"(mask));
    return set;
}

/* The table index of the 3-byte characters whose UTF-8 starts at the low
 * byte of each 16-bit lane of v, c holding the bytes two further on:
 * (lead << 12) + ((second & 0x3F) << 6) + (third & 0x3F), modulo 2^16,
 * which is the code point. */
static inline __m128i st_cp_lanes(__m128i v, __m128i c)
{
    __m128i hi = _mm_add_epi16(_mm_slli_epi16(v, 12), _mm_and_si128(_mm_srli_epi16(v, 2), _mm_set1_epi16(0x0FC0)));
    return _mm_add_epi16(hi, _mm_and_si128(c, _mm_set1_epi16(0x3F)));
}

/* From i, six 3-byte characters (18 bytes) at a time while there are: their
 * code points are computed together (see st_cp_lanes: the characters at
 * bytes 0, 6, 12 are lanes 0, 3, 6 of the load at i, those at 3, 9, 15 the
 * same lanes of the load at i + 1), then looked up; most characters of
 * Chinese text have no flag. Returns where the scan goes on. Not inlined: on
 * its own the loop keeps the table and the mask in registers. */
static __attribute__((noinline)) size_t st_scan_run3(st_scanner *z, const uint8_t *flags, size_t i)
{
    const unsigned char *u = (const unsigned char *)z->s;
    size_t n = z->n;
    uint8_t mask = z->mask;
    /* lanes of the first 1 … 5 characters of a block (see below) */
    static const uint16_t first[6][2][8] = {
        {{0}},
        {{0xFFFF}, {0}},
        {{0xFFFF}, {0, 0xFFFF}},
        {{0xFFFF, 0, 0, 0xFFFF}, {0, 0xFFFF}},
        {{0xFFFF, 0, 0, 0xFFFF}, {0, 0xFFFF, 0, 0, 0xFFFF}},
        {{0xFFFF, 0, 0, 0xFFFF, 0, 0, 0xFFFF}, {0, 0xFFFF, 0, 0, 0xFFFF}},
    };
    /* (called with i + 19 <= n) */
    const size_t last = n - 19;
    while (i <= last) { /* the last load reads u[i + 3, i + 19) */
        __m128i b0 = _mm_loadu_si128((const __m128i *)(u + i));
        __m128i lead = _mm_cmpeq_epi8(_mm_and_si128(b0, _mm_set1_epi8((char)0xF0)), _mm_set1_epi8((char)0xE0));
        unsigned leads = (unsigned)_mm_movemask_epi8(lead) & 0x9249; /* 3-byte leads at 0, 3, … 15 */
        __m128i even = st_cp_lanes(b0, _mm_loadu_si128((const __m128i *)(u + i + 2)));
        __m128i odd = st_cp_lanes(_mm_loadu_si128((const __m128i *)(u + i + 1)),
                                  _mm_loadu_si128((const __m128i *)(u + i + 3)));
        /* the k-th character of the block is lane `lane` of `vec` */
#define ST_RUN3_CHAR(k, vec, lane)                                                                     \
    do {                                                                                               \
        size_t cp = (uint16_t)_mm_extract_epi16(vec, lane);                                            \
        if (__builtin_expect(st_flag_test(flags + cp, mask), 0)) {                                     \
            /* (opaque: nothing is kept or computed ahead for this rare case) */                       \
            size_t base = i, c;                                                                        \
            __asm__("pextrw %2, %1, %k0" : "=r"(c) : "x"(vec), "n"(lane));                             \
            __asm__("" : "+r"(base));                                                                  \
            size_t at = base + 3 * (k);                                                                \
            size_t e = st_scan_flagged3(z, at, (uint32_t)c, flags[c] & mask);                          \
            mask = z->mask; /* two traditional characters take theirs out */                          \
            if (e != at + 3) { /* a run (placeholder, pinyin) goes on elsewhere */                     \
                i = e;                                                                                 \
                goto next_block;                                                                       \
            }                                                                                          \
        }                                                                                              \
    } while (0)
#define ST_RUN3_BLOCK()          \
    ST_RUN3_CHAR(0, even, 0);    \
    ST_RUN3_CHAR(1, odd, 1);     \
    ST_RUN3_CHAR(2, even, 3);    \
    ST_RUN3_CHAR(3, odd, 4);     \
    ST_RUN3_CHAR(4, even, 6);    \
    ST_RUN3_CHAR(5, odd, 7)
        if (__builtin_expect(leads != 0x9249, 0)) {
            /* the characters before the first other one: the lanes of the
             * rest become 0, a code point without flags (no literal starts
             * with NUL); then the scan goes on at the other character */
            size_t count = (size_t)__builtin_ctz(~leads & 0x9249) / 3;
            if (count == 0) break;
            even = _mm_and_si128(even, _mm_loadu_si128((const __m128i *)first[count][0]));
            odd = _mm_and_si128(odd, _mm_loadu_si128((const __m128i *)first[count][1]));
            ST_RUN3_BLOCK();
            return i + 3 * count;
        }
        ST_RUN3_BLOCK();
#undef ST_RUN3_BLOCK
#undef ST_RUN3_CHAR
        i += 18;
    next_block:;
    }
    return i;
}
#endif

/* A character at i that is not a 3-byte one (ASCII, 2 or 4 bytes), or a
 * 3-byte lead without room for its character; returns where the scan goes
 * on. */
static size_t st_scan_other(st_scanner *z, size_t i)
{
    const st_rules *r = z->r;
    st_scan *sc = z->sc;
    const char *s = z->s;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = z->n;
    unsigned char c = u[i];
    if (c < 0x80) {
        if (st_is_ascii_alpha(c)) {
            size_t j = i + 1;
            while (j < n && st_is_ascii_alpha(u[j])) j++;
            for (size_t p = i; p < j; p++) {
                if ((u[p] | 0x20) == 'w') z->site = true;
                if (z->triggers && st_trig(r, u[p]) && st_trig_maybe(r, s, n, p, u[p], 1))
                    st_trigger(sc, r, s, n, p, u[p], z->line_start);
            }
            st_censor_letters(z->doc, r, i, j);
            return j;
        }
        if (z->triggers && st_trig(r, c) && st_trig_maybe(r, s, n, i, c, 1)) st_trigger(sc, r, s, n, i, c, z->line_start);
        switch (c) {
        case '\n':
            if (z->want_noise) st_delim(z, i, 0, ST_DELIM_EDGE);
            z->line_start = i + 1;
            break;
        case ',':
            if (z->want_noise) st_delim(z, i, 1, ST_DELIM_COMMA);
            break;
        case ';': case '!': case '?':
            if (z->want_noise) st_delim(z, i, 1, ST_DELIM_STOP);
            break;
        case '.': z->site = true; break;
        case '(':
            if (z->want_noise) {
                size_t e = st_take_pinyin(sc, s, n, i, 1);
                if (e) return e;
            }
            break;
        case '*': return st_placeholder_run(z->doc, i, "*", 1, 2);
        case '_': return st_placeholder_run(z->doc, i, "_", 1, 2);
        default: break;
        }
        return i + 1;
    }
    if (c >= 0xC0 && c < 0xE0 && i + 1 < n) {
        uint32_t cp = ((uint32_t)(c & 0x1F) << 6) | (uint32_t)(u[i + 1] & 0x3F);
        if (z->triggers && st_trig(r, cp) && st_trig_maybe(r, s, n, i, cp, 2))
            st_trigger(sc, r, s, n, i, cp, z->line_start);
        if (cp == 0xD7) { /* × */
            size_t j = i;
            while (j + 2 <= n && u[j] == 0xC3 && u[j + 1] == 0x97) j += 2;
            bool by_digit = (i > 0 && st_is_ascii_digit(u[i - 1])) || (j < n && st_is_ascii_digit(u[j]));
            if (!by_digit) st_push_censor(z->doc, i, j, NULL);
            return j;
        }
        return i + 2;
    }
    return i + (c >= 0xF0 ? 4 : 1);
}

/* The one pass over the working copy: censored words and redactions (into
 * doc), and into sc the "requires" hits, watermark clauses and anchors,
 * pinyin annotations, and whether it has two traditional characters. */
static void st_scan_text(st_doc *doc, const st_rules *r, st_scan *sc, bool want_noise)
{
    st_scanner z = {.doc = doc, .r = r, .sc = sc, .s = doc->src, .n = doc->src_len, .pre_kind = ST_DELIM_EDGE,
                    .want_noise = want_noise, .triggers = want_noise && r->lit_count > 0};
    const unsigned char *u = (const unsigned char *)doc->src;
    size_t n = doc->src_len, i = 0;
    size_t end3 = n > 2 ? n - 2 : 0; /* a 3-byte character starts before end3 */
    z.mask = ST_CF_PUNCT | ST_CF_TRAD;
    if (want_noise) z.mask |= ST_CF_COMMA | ST_CF_STOP | ST_CF_SITE | ST_CF_CREDIT;
    if (z.triggers) z.mask |= ST_CF_TRIG | ST_CF_WHOLE;
    const uint8_t *flags = r->chars;
    while (i < n) {
#ifdef __SSE2__
        if (i + 19 <= n && (u[i] & 0xF0) == 0xE0) i = st_scan_run3(&z, flags, i);
#endif
        /* one at a time, one table look-up each */
        while (i < end3 && (u[i] & 0xF0) == 0xE0) {
            /* 1110xxxx 10yyyyyy 10zzzzzz (src is valid UTF-8): the sum of the
             * shifted bytes is the code point plus their fixed bits 0xE2080
             * (the mask keeps the index in the table whatever the bytes) */
            uint32_t cp = (((uint32_t)u[i] << 12) + ((uint32_t)u[i + 1] << 6) + u[i + 2] - 0xE2080u) & 0xFFFFu;
            uint8_t f = flags[cp] & z.mask;
            i = f ? st_scan_flagged3(&z, i, cp, f) : i + 3;
        }
        if (i < n) i = st_scan_other(&z, i);
    }
    if (want_noise) st_delim(&z, n, 0, ST_DELIM_EDGE);
}

/* ---- pattern rules ---- */

/* A line rule matched at ms on the line [ls, le): remove the line unless it
 * is long or an enumerated item. Complete sentences (at least 10 characters
 * up to 。！？) before the match stay. */
static void st_line_match(st_doc *doc, const st_noise_rule *nr, size_t ls, size_t le, size_t ms)
{
    const char *s = doc->src;
    size_t a = ls, b = le;
    st_trim(s, &a, &b);
    if (b <= a) return;
    if (st_utf8_count(s + a, b - a) > nr->max_chars) return;
    /* an item of an enumeration (一是 1. （三）) is speech */
    if (st_marker_len(s + a, b - a)) return;
    size_t keep = ls, m;
    for (size_t i = a; i < ms; i += m) {
        uint32_t c = st_utf8_next(s + i, ms - i, &m);
        if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == '!' || c == '?') keep = i + m;
    }
    if (keep > ls && st_utf8_count(s + a, keep - a) >= 10) ls = keep;
    st_remove_range(doc, ls, le, nr->name);
}

/* Runs a rule over src[base, base + len): the whole text, or one line
 * (one_line). Line rules ignore matches inside the first `inline_count`
 * spans (what the inline rules removed): a line is not promotion because of
 * an ad in brackets that is already gone. */
static void st_run_rule(st_doc *doc, const st_noise_rule *nr, pcre2_match_data *md, size_t base, size_t len,
                        bool one_line, size_t inline_count)
{
    const char *t = doc->src + base;
    size_t off = 0;
    while (off <= len) {
        /* (with JIT code, its matcher without pcre2_match's checks: the
         * subject and offset are good, and the pattern takes invalid UTF) */
        int rc = nr->jit ? pcre2_jit_match(nr->code, (PCRE2_SPTR)t, len, off, 0, md, NULL)
                         : pcre2_match(nr->code, (PCRE2_SPTR)t, len, off, 0, md, NULL);
        if (rc < 0) break; /* no match, or a limit: the rule stops here */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        if (me < ms) break; /* \K games */
        if (nr->scope == ST_SCOPE_INLINE) {
            /* a removal never takes a line break: such a match is ignored */
            if (me > ms && !memchr(t + ms, '\n', me - ms)) st_remove_range(doc, base + ms, base + me, nr->name);
            off = me > ms ? me : ms + 1;
        } else if (me > ms && st_covered_n(doc, inline_count, base + ms, base + me, NULL)) {
            off = me;
        } else {
            size_t ls, le;
            st_line_at(doc, base + ms, &ls, &le);
            st_line_match(doc, nr, ls, le, base + ms);
            if (one_line) break;
            off = le + 1 - base;
        }
        while (off < len && ((unsigned char)t[off] & 0xC0) == 0x80) off++;
    }
}

static void st_apply_patterns(st_doc *doc, const st_rules *r, st_scan *sc)
{
    const char *s = doc->src;
    size_t n = doc->src_len;
    if (!r->rule_count || !n) return;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) abort();
    /* hits grouped by rule, in text order */
    size_t *first = calloc(r->rule_count + 1, sizeof *first);
    st_hit *byrule = malloc((sc->hit_count ? sc->hit_count : 1) * sizeof *byrule);
    if (!first || !byrule) abort();
    for (size_t h = 0; h < sc->hit_count; h++) first[sc->hits[h].rule + 1]++;
    for (size_t k = 0; k < r->rule_count; k++) first[k + 1] += first[k];
    for (size_t h = 0; h < sc->hit_count; h++) byrule[first[sc->hits[h].rule]++] = sc->hits[h];
    for (size_t k = r->rule_count; k > 0; k--) first[k] = first[k - 1];
    first[0] = 0;

    /* inline rules first, then line rules */
    size_t inline_count = 0;
    for (int scope = ST_SCOPE_INLINE; scope <= ST_SCOPE_LINE; scope++) {
        if (scope == ST_SCOPE_LINE) {
            st_sort_merge(doc);
            inline_count = doc->removed_count;
        }
        for (size_t k = 0; k < r->rule_count; k++) {
            const st_noise_rule *nr = &r->rules[k];
            if (nr->scope != scope) continue;
            if (!nr->requires_count) {
                st_run_rule(doc, nr, md, 0, n, false, inline_count);
                continue;
            }
            for (size_t h = first[k]; h < first[k + 1]; h++) {
                size_t ls = byrule[h].line_start, le = st_pline_end(s, n, byrule[h].pos);
                /* a line rule cannot remove a long line: do not even look */
                if (scope == ST_SCOPE_LINE &&
                    (le - ls > 4 * nr->max_chars + 64 || st_utf8_count(s + ls, le - ls) > nr->max_chars + 16))
                    continue;
                st_run_rule(doc, nr, md, ls, le - ls, true, inline_count);
            }
        }
    }
    free(first);
    free(byrule);
    pcre2_match_data_free(md);
}

/* ---- structural rules ---- */

static int st_cmp_wm(const st_wm_cand *a, const st_wm_cand *b, const char *s)
{
    size_t la = a->pe - a->ps, lb = b->pe - b->ps;
    int c = memcmp(s + a->ps, s + b->ps, la < lb ? la : lb);
    if (c) return c;
    if (la != lb) return la < lb ? -1 : 1;
    return a->ps < b->ps ? -1 : a->ps > b->ps;
}

/* A stable bottom-up merge sort over n elements of `size` bytes, compared
 * with cmp(x, y, text); shared by the two watermark scans. */
static void st_merge_sort(void *base, size_t n, size_t size,
                          int (*cmp)(const void *, const void *, const char *), const char *text)
{
    if (n < 2) return;
    char *a = base, *tmp = malloc(n * size);
    if (!tmp) abort();
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                size_t from = cmp(a + j * size, a + i * size, text) < 0 ? j++ : i++;
                memcpy(tmp + k++ * size, a + from * size, size);
            }
            memcpy(tmp + k * size, a + i * size, (mid - i) * size);
            k += mid - i;
            memcpy(tmp + k * size, a + j * size, (hi - j) * size);
        }
        memcpy(a, tmp, n * size);
    }
    free(tmp);
}

static int st_cmp_wm_v(const void *a, const void *b, const char *s) { return st_cmp_wm(a, b, s); }

/* watermark: the same site-ish phrase standing alone between delimiters at
 * least twice. It goes with the comma after it (or before it) so that the
 * sentence reads on. */
static void st_watermarks(st_doc *doc, st_scan *sc)
{
    if (sc->wm_count < 2) return;
    st_merge_sort(sc->wm, sc->wm_count, sizeof *sc->wm, st_cmp_wm_v, doc->src);
    const char *s = doc->src;
    size_t i = 0;
    while (i < sc->wm_count) {
        size_t j = i + 1;
        size_t len = sc->wm[i].pe - sc->wm[i].ps;
        while (j < sc->wm_count && sc->wm[j].pe - sc->wm[j].ps == len &&
               memcmp(s + sc->wm[j].ps, s + sc->wm[i].ps, len) == 0)
            j++;
        if (j - i >= 2) {
            for (size_t k = i; k < j; k++) {
                const st_wm_cand *w = &sc->wm[k];
                if (w->post_kind == ST_DELIM_COMMA) st_remove_range(doc, w->rs, w->post_e, R_WATERMARK);
                else if (w->pre_kind == ST_DELIM_COMMA) st_remove_range(doc, w->pre_s, w->re, R_WATERMARK);
                else st_remove_range(doc, w->rs, w->re, R_WATERMARK);
            }
        }
        i = j;
    }
}

/* pinyin-annotation: a syllable with a tone mark, (duì), is never speech; one
 * with a tone digit, (dui4), counts only when there are at least three. */
static void st_pinyin(st_doc *doc, st_scan *sc)
{
    size_t digits = 0;
    for (size_t i = 0; i < sc->pinyin_count; i++) digits += sc->pinyin[i].digit;
    for (size_t i = 0; i < sc->pinyin_count; i++)
        if (!sc->pinyin[i].digit || digits >= 3)
            st_add_removed(doc, sc->pinyin[i].start, sc->pinyin[i].end, R_PINYIN);
}

/* Two Han characters end at e (3 bytes each)? */
static bool st_two_han_before(const char *s, size_t e)
{
    size_t m;
    return e >= 6 && ((unsigned char)s[e - 6] & 0xF0) == 0xE0 && ((unsigned char)s[e - 3] & 0xF0) == 0xE0 &&
           st_is_han(st_utf8_next(s + e - 6, 3, &m)) && st_is_han(st_utf8_next(s + e - 3, 3, &m));
}

static int st_cmp_anchor(const st_anchor *a, const st_anchor *b, const char *s)
{
    size_t la = a->len + 6, lb = b->len + 6;
    int c = memcmp(s + a->pos - 6, s + b->pos - 6, la < lb ? la : lb);
    if (c) return c;
    if (la != lb) return la < lb ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int st_cmp_anchor_v(const void *a, const void *b, const char *s) { return st_cmp_anchor(a, b, s); }

/* watermark, written into the text without punctuation around it (理论学习稿子铺整理不够深入):
 * the same site name with a credit word (整理 原创 …) or ending in 网 at
 * least three times. The name is taken as long as every copy agrees on the
 * character before it (up to 8 characters); it must look like a site (稿子铺,
 * 第一范文网), not like speech (认真整理, 资料整理). */
static void st_watermarks_embedded(st_doc *doc, st_scan *sc)
{
    const char *s = doc->src;
    size_t n = 0;
    for (size_t i = 0; i < sc->anchor_count; i++)
        if (st_two_han_before(s, sc->anchors[i].pos)) sc->anchors[n++] = sc->anchors[i];
    sc->anchor_count = n;
    if (n < 3) return;
    st_merge_sort(sc->anchors, n, sizeof *sc->anchors, st_cmp_anchor_v, s);
    static const st_word site_chars[] = {
        ST_W("网"), ST_W("铺"), ST_W("库"), ST_W("站"), ST_W("吧"), ST_W("稿"), ST_W("范文"), ST_W("公文"),
        ST_W("文秘"), {NULL, 0}};
    size_t i = 0;
    while (i < n) {
        const st_anchor *g = &sc->anchors[i];
        size_t j = i + 1;
        while (j < n && sc->anchors[j].len == g->len &&
               memcmp(s + sc->anchors[j].pos - 6, s + g->pos - 6, g->len + 6) == 0)
            j++;
        size_t count = j - i;
        if (count >= 3 && count <= 4096) {
            /* extend the name to the left while all copies agree */
            size_t ext = 0;
            while (ext < 6) {
                size_t at = g->pos - 6 - 3 * ext; /* start of the name so far */
                if (at < 3 || ((unsigned char)s[at - 3] & 0xF0) != 0xE0) break;
                size_t m;
                if (!st_is_han(st_utf8_next(s + at - 3, 3, &m))) break;
                bool same = true;
                for (size_t k = i + 1; k < j && same; k++) {
                    size_t bt = sc->anchors[k].pos - 6 - 3 * ext;
                    same = bt >= 3 && memcmp(s + bt - 3, s + at - 3, 3) == 0;
                }
                if (!same) break;
                ext++;
            }
            size_t ps = g->pos - 6 - 3 * ext, pe = g->pos + g->len;
            const char *name = s + ps;
            size_t name_len = g->pos - ps;
            bool ok = !st_has_speech_word(s + ps, pe - ps) &&
                      !st_ends_with_any(name, name_len, st_wm_not_name);
            if (ok && g->credit) ok = st_contains_any(name, name_len, site_chars);
            if (ok)
                for (size_t k = i; k < j; k++)
                    st_add_removed(doc, sc->anchors[k].pos - 6 - 3 * ext, sc->anchors[k].pos + sc->anchors[k].len,
                                   R_WATERMARK);
        }
        i = j;
    }
}

static const st_word st_title_words[] = {
    ST_W("发言"), ST_W("材料"), ST_W("检查"), ST_W("讲话"), ST_W("报告"), ST_W("提纲"), ST_W("剖析"), ST_W("对照"),
    ST_W("研讨"), ST_W("心得"), ST_W("体会"), ST_W("汇报"), ST_W("总结"), ST_W("述职"), ST_W("检视"), ST_W("查摆"),
    ST_W("生活会"), ST_W("稿"), ST_W("發言"), ST_W("檢查"), ST_W("講話"), ST_W("報告"), ST_W("對照"), ST_W("體會"),
    ST_W("彙報"), ST_W("匯報"), ST_W("總結"), ST_W("述職"), ST_W("檢視"), ST_W("生活會"), {NULL, 0}};

static const st_word st_signoff_start[] = {
    ST_W("发言人"), ST_W("汇报人"), ST_W("报告人"), ST_W("单位"), ST_W("姓名"), ST_W("日期"), ST_W("时间"),
    ST_W("落款"), {NULL, 0}};
/* an organisation or a person signing: 中共XX县委办公室, XX局党组, 张三同志 */
static const st_word st_signoff_end[] = {
    ST_W("党支部"), ST_W("党委"), ST_W("党组"), ST_W("党总支"), ST_W("委员会"), ST_W("常委会"), ST_W("领导班子"),
    ST_W("班子"), ST_W("办公室"), ST_W("同志"), ST_W("支部"), ST_W("纪委"), ST_W("监委"), ST_W("政府"), ST_W("人大"),
    ST_W("政协"), ST_W("机关"), ST_W("中心"), ST_W("公司"), ST_W("集团"), ST_W("学校"), ST_W("大学"), ST_W("医院"),
    ST_W("街道"), ST_W("社区"), ST_W("局"), ST_W("厅"), ST_W("委"), ST_W("办"), ST_W("院"), ST_W("所"), ST_W("部"),
    ST_W("处"), ST_W("科"), ST_W("室"), ST_W("站"), ST_W("县"), ST_W("市"), ST_W("区"), ST_W("镇"), ST_W("乡"),
    ST_W("村"), ST_W("队"), ST_W("组"), ST_W("黨支部"), ST_W("黨委"), ST_W("黨組"), ST_W("委員會"), ST_W("領導班子"),
    ST_W("辦公室"), ST_W("機關"), ST_W("學校"), ST_W("醫院"), ST_W("縣"), ST_W("鎮"), ST_W("隊"), ST_W("辦"),
    {NULL, 0}};

/* site-signature: a short line without sentence punctuation that is both
 * among the first 5 and the last 15 non-empty lines. */
static void st_signature(st_doc *doc, st_head *head, st_tail *tail)
{
    const char *s = doc->src;
    const st_line *title = NULL, *h; /* the first line not yet removed may be the title */
    for (size_t i = 0; i < 5 && (h = st_head_line(head, i)) != NULL; i++) {
        if (st_covered(doc, h->cs, h->ce, NULL)) continue;
        bool is_first = !title;
        if (!title) title = h;
        if (h->chars < 2 || h->chars > 20) continue;
        if (st_has_sentence_punct(s, h->cs, h->ce)) continue;
        /* an organisation written at the top and signing at the end, or a
         * person's name, is not a site */
        if (st_ends_with_any(s + h->cs, h->ce - h->cs, st_signoff_end) ||
            st_starts_with_any(s + h->cs, h->ce - h->cs, st_signoff_start))
            continue;
        if (h->chars < 4 && !st_wm_siteish(s + h->cs, h->ce - h->cs, true)) continue;
        if (st_marker_len(s + h->cs, h->ce - h->cs)) continue;
        /* a title written again is duplicate-title's business */
        if (is_first && st_contains_any(s + h->cs, h->ce - h->cs, st_title_words)) continue;
        if (!is_first && st_same_visible(doc, h, title) &&
            st_contains_any(s + h->cs, h->ce - h->cs, st_title_words))
            continue;
        bool found = false;
        /* the last 15 lines, in document order */
        st_tail_line(tail, 14);
        for (size_t r = tail->count < 15 ? tail->count : 15; r-- > 0;) {
            const st_line *t = &tail->line[r];
            if (t->ls <= h->ls) continue;
            if (st_same_visible(doc, h, t)) {
                st_remove_range(doc, t->ls, t->le, R_SIGNATURE);
                found = true;
            }
        }
        if (found) st_remove_range(doc, h->ls, h->le, R_SIGNATURE);
    }
}

/* duplicate-title: the first two lines that are still there are the same
 * (a title written twice), or the last line repeats the first. */
/* duplicate-title: the first two lines that are still there read the same
 * (a title written twice), or the last line repeats the first. Parts that
 * other rules removed (【第1篇】) do not count. */
static void st_duplicate_title(st_doc *doc, st_head *head, st_tail *tail)
{
    const st_line *first = NULL, *second = NULL, *L;
    for (size_t i = 0; !second && (L = st_head_line(head, i)) != NULL; i++) {
        if (st_covered(doc, L->cs, L->ce, NULL)) continue;
        if (!first) first = L;
        else second = L;
    }
    if (!first || first->chars > 80) return;
    if (second && st_same_visible(doc, first, second)) st_remove_range(doc, second->ls, second->le, R_DUPTITLE);
    const st_line *t;
    for (size_t r = 0; (t = st_tail_line(tail, r)) != NULL; r++) {
        if (st_covered(doc, t->cs, t->ce, NULL)) continue;
        if (t->ls > first->ls && (!second || t->ls != second->ls) && st_same_visible(doc, first, t))
            st_remove_range(doc, t->ls, t->le, R_DUPTITLE);
        break;
    }
}

/* The heading of a table-of-contents entry: after the marker, without the
 * leader dots and page number. */
static void st_toc_heading(const char *s, const st_line *L, size_t *a, size_t *b)
{
    *a = L->cs + st_marker_len(s + L->cs, L->ce - L->cs);
    *b = L->ce;
    size_t m;
    while (*b > *a) {
        uint32_t c = st_utf8_prev(s + *a, *b - *a, &m);
        if (!(st_is_digit_cp(c) || c == '.' || c == 0x2026 || c == 0xB7 || c == 0x22EF || c == '-' ||
              c == 0x2014 || c == 0xFF0E || c == 0x30FB || st_is_space(c)))
            break;
        *b -= m;
    }
    st_trim(s, a, b);
}

static bool st_toc_entry(const st_doc *doc, const st_line *L)
{
    const char *s = doc->src;
    if (L->chars > 40 || st_marker_len(s + L->cs, L->ce - L->cs) == 0) return false;
    if (st_contains(s + L->cs, L->ce - L->cs, "。")) return false;
    size_t a, b;
    st_toc_heading(s, L, &a, &b);
    return st_utf8_count(s + a, b - a) >= 2;
}

/* Does s[from, n) hold the heading at the start of a line (after a marker)? */
static size_t st_find_heading(const st_doc *doc, size_t from, const char *h, size_t hl)
{
    const char *s = doc->src;
    size_t n = doc->src_len, pos = from;
    while (pos < n) {
        const char *p = memmem(s + pos, n - pos, h, hl);
        if (!p) return (size_t)-1;
        size_t at = (size_t)(p - s), ls, le;
        st_line_at(doc, at, &ls, &le);
        size_t a = ls, b = at;
        st_trim(s, &a, &b);
        if (a == b || st_marker_len(s + a, b - a) == b - a) return at + hl;
        pos = at + 1;
    }
    return (size_t)-1;
}

/* The caption of a table of contents: 目录, 目 录, 目　　录, 目录： */
static bool st_toc_caption(const char *p, size_t l)
{
    if (l < 6 || memcmp(p, "目", 3) != 0) return false;
    size_t i = 3, n;
    while (i < l && (n = st_space_len(p + i, l - i)) != 0) i += n;
    if (l - i < 3 || memcmp(p + i, "录", 3) != 0) return false;
    i += 3;
    return i == l || (l - i == 3 && memcmp(p + i, "：", 3) == 0) || (l - i == 1 && p[i] == ':');
}

/* table-of-contents: at least three short marker lines before the body whose
 * headings come back later, in order, at the start of lines. */
static void st_toc(st_doc *doc, st_head *H)
{
    const char *s = doc->src;
    const st_line *head = H->line, *L;
    size_t i = 0;
    while ((L = st_head_line(H, i)) != NULL) {
        if (L->chars > 60) return; /* the body has started */
        if (!st_toc_entry(doc, L) || st_covered(doc, L->cs, L->ce, NULL)) { i++; continue; }
        size_t j = i;
        while ((L = st_head_line(H, j)) != NULL && st_toc_entry(doc, L) && !st_covered(doc, L->cs, L->ce, NULL)) j++;
        if (j - i >= 3 && L) {
            size_t pos = head[j - 1].le;
            bool ok = true;
            for (size_t k = i; k < j && ok; k++) {
                size_t a, b;
                st_toc_heading(s, &head[k], &a, &b);
                size_t f = st_find_heading(doc, pos, s + a, b - a);
                if (f == (size_t)-1) ok = false;
                else pos = f;
            }
            if (ok) {
                if (i > 0) {
                    const st_line *t = &head[i - 1];
                    const char *p = s + t->cs;
                    size_t l = t->ce - t->cs;
                    if (st_toc_caption(p, l)) st_remove_range(doc, t->ls, t->le, R_TOC);
                }
                for (size_t k = i; k < j; k++) st_remove_range(doc, head[k].ls, head[k].le, R_TOC);
                return;
            }
        }
        i = j;
    }
}

/* A date (2023年1月5日, 2023-01-05) or a sign-off line of the speaker. */
static bool st_protected_line(const char *s, const st_line *L)
{
    const char *p = s + L->cs;
    size_t l = L->ce - L->cs;
    if (st_starts_with_any(p, l, st_signoff_start) || st_ends_with_any(p, l, st_signoff_end)) return true;
    if (st_ends_with(p, l, "日") && st_contains(p, l, "年") && st_contains(p, l, "月")) return true;
    size_t digits = 0, seps = 0, other = 0;
    for (size_t i = 0; i < l; i++) {
        if (st_is_ascii_digit((unsigned char)p[i])) digits++;
        else if (p[i] == '-' || p[i] == '.' || p[i] == '/') seps++;
        else other++;
    }
    return digits >= 6 && seps == 2 && other == 0;
}

/* Rules whose lines do not mark the start of a site footer. */
static bool st_footer_anchor(const char *rule)
{
    static const char *const weak[] = {"page-header", "paywall-tag", "template-tag", "duplicate-title",
                                       "table-of-contents", "collection-header", "pinyin-annotation",
                                       "watermark", "breadcrumb", NULL};
    if (!rule) return false;
    for (const char *const *w = weak; *w; w++)
        if (strcmp(rule, *w) == 0) return false;
    return true;
}

/* site-footer: at the end of the document, short lines sandwiched between
 * lines of promotion are the site's footer. */
static void st_footer(st_doc *doc, st_head *head, st_tail *tail)
{
    const char *s = doc->src;
    bool covered[ST_TAIL_LINES], anchor[ST_TAIL_LINES];
    /* the footer comes after the head of the document: its first 5 lines */
    size_t nh = st_head_line(head, 4) ? 5 : head->count;
    size_t head_end = nh ? head->line[nh - 1].le : 0;
    /* the last lines up to the first that is not footer-like: tail lines
     * [0, r) (counted from the end) */
    size_t r = 0;
    const st_line *L;
    while ((L = st_tail_line(tail, r)) != NULL) {
        if (L->ls <= head_end) break;
        const char *rule;
        bool cov = st_covered(doc, L->cs, L->ce, &rule);
        covered[r] = cov;
        anchor[r] = cov && st_footer_anchor(rule);
        if (!cov && (L->chars > 40 || st_marker_len(s + L->cs, L->ce - L->cs) || st_protected_line(s, L) ||
                     st_ends_with(s + L->cs, L->ce - L->cs, "。") || st_ends_with(s + L->cs, L->ce - L->cs, "；")))
            break;
        r++;
    }
    /* the first and the last anchor in document order; the lines between
     * them that are still there are the footer */
    size_t first = r, last = r;
    for (size_t q = 0; q < r; q++) {
        if (!anchor[q]) continue;
        if (last == r) last = q;
        first = q;
    }
    if (first == r) return;
    for (size_t q = first; q-- > last + 1;)
        if (!covered[q]) st_remove_range(doc, tail->line[q].ls, tail->line[q].le, R_FOOTER);
}

/* Drops censored words and redactions that lie inside removed text. */
static void st_filter_censored(st_doc *doc)
{
    st_censor_span *cs = doc->censored;
    const st_removed_span *rm = doc->removed;
    size_t o = 0, k = 0, count = doc->censored_count, removed = doc->removed_count;
    for (size_t i = 0; i < count; i++) {
        while (k < removed && rm[k].end <= cs[i].start) k++;
        if (k < removed && rm[k].start < cs[i].end) continue;
        if (o != i) cs[o] = cs[i];
        o++;
    }
    doc->censored_count = o;
}

/* Maps the removals and censored words found in the wrapped working copy
 * back to the source, cutting removals around the line breaks. */
static void st_map_back(st_doc *doc, const size_t *cuts, size_t ncuts)
{
    st_removed_span *old = doc->removed;
    size_t count = doc->removed_count;
    doc->removed = NULL;
    doc->removed_count = doc->removed_cap = 0;
    for (size_t i = 0; i < count; i++)
        st_remove_range(doc, st_copy_to_src(cuts, ncuts, old[i].start, false),
                        st_copy_to_src(cuts, ncuts, old[i].end, true), old[i].rule);
    free(old);
    for (size_t i = 0; i < doc->censored_count; i++) {
        st_censor_span *c = &doc->censored[i];
        c->start = st_copy_to_src(cuts, ncuts, c->start, false);
        c->end = st_copy_to_src(cuts, ncuts, c->end, true);
    }
}

static void st_scan_free(st_scan *sc)
{
    free(sc->pinyin);
    free(sc->anchors);
    free(sc->wm);
    free(sc->hits);
    free(sc->last_line);
    memset(sc, 0, sizeof *sc);
}

/* Makes the working copy of doc->src (see "layout"; doc->src becomes the copy
 * when one is needed) and scans it. */
static void st_prepare_and_scan(st_doc *doc, const st_rules *rules, st_scan *sc, bool keep_noise, bool src_lines,
                                char **work, size_t **cuts, size_t *ncuts)
{
    *work = NULL;
    *cuts = NULL;
    *ncuts = 0;
    if (!keep_noise) {
        st_layout lay;
        st_layout_detect(doc->src, doc->src_len, src_lines ? doc : NULL, &lay);
        *work = st_layout_copy(doc->src, doc->src_len, &lay, cuts, ncuts);
        if (*work) {
            doc->src = *work;
            doc->src_len -= *ncuts;
        }
    }
    memset(sc, 0, sizeof *sc);
    if (!keep_noise && rules->rule_count) {
        sc->last_line = malloc(rules->rule_count * sizeof *sc->last_line);
        if (!sc->last_line) abort();
        memset(sc->last_line, 0xFF, rules->rule_count * sizeof *sc->last_line);
    }
    st_scan_text(doc, rules, sc, !keep_noise);
}

int st_clean(st_doc *doc, const st_rules *rules, bool keep_noise)
{
    if (!rules) rules = st_rules_default();
    if (!rules || !doc->src) return 0;
    char *orig = doc->src;
    size_t orig_len = doc->src_len, censored_before = doc->censored_count;
    char *simp = NULL, *work = NULL;
    size_t *cuts = NULL, ncuts = 0;
    st_scan sc;
    /* The scan tells whether the text may be in traditional script. The
     * rules are written in simplified script, so a traditional text is read
     * in a simplified copy: it is scanned once more, in that copy (rare; the
     * copy may even have another layout: 兩 is not a numeral, 两 is). */
    st_prepare_and_scan(doc, rules, &sc, keep_noise, doc->line_start != NULL, &work, &cuts, &ncuts);
    doc->traditional = sc.trad_seen >= 2 && st_is_traditional_text(orig, orig_len, rules);
    if (!keep_noise && doc->traditional && (simp = st_simplified_copy(orig, orig_len)) != NULL) {
        st_scan_free(&sc);
        free(work);
        free(cuts);
        doc->censored_count = censored_before;
        doc->src = simp;
        doc->src_len = orig_len;
        st_prepare_and_scan(doc, rules, &sc, keep_noise, false, &work, &cuts, &ncuts);
    }
    if (!keep_noise) {
        st_apply_patterns(doc, rules, &sc);
        st_pinyin(doc, &sc);
        st_sort_merge(doc);

        st_tail tail; /* (like head) */
        tail.doc = doc;
        tail.count = 0;
        tail.end = doc->src_len;
        st_head head; /* (its lines are filled as they are asked for) */
        head.doc = doc;
        head.count = head.pos = 0;
        head.done = false;
        /* a signature line is not a watermark, though it may look like one */
        st_signature(doc, &head, &tail);
        st_watermarks(doc, &sc);
        st_watermarks_embedded(doc, &sc);
        st_sort_merge(doc);
        st_duplicate_title(doc, &head, &tail);
        st_toc(doc, &head);
        st_sort_merge(doc);
        st_footer(doc, &head, &tail);
        st_sort_merge(doc);
        st_filter_censored(doc);
    }
    st_scan_free(&sc);
    doc->src = orig;
    doc->src_len = orig_len;
    if (work) {
        st_map_back(doc, cuts, ncuts);
        free(work);
        free(cuts);
    }
    free(simp);
    return 0;
}
