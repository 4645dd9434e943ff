/* Parse: recursive descent over the marker lexemes and heading paragraphs.
 *
 * Each open node has one active child list (a marker style and its last
 * ordinal). A lexeme either continues the list of the current node or of an
 * ancestor (then deeper nodes close), or starts a new list with ordinal 1,
 * or is text. Marker styles thus nest in the order the document uses them,
 * and a false marker (一对一、 …, 1次, 第一卷) that does not continue a list
 * stays text. Headings, texts, title, preamble and closing are cut from the
 * clean text once the tree stands. */
#include "internal.h"

#include <stdlib.h>

enum { ST_MAX_DEPTH = 64 };

/* An event of the parse: a marker lexeme or a heading paragraph without marker. */
typedef struct event {
    size_t pos;     /* clean-text offset */
    size_t lexeme;  /* index into doc->lex, or SIZE_MAX for a heading paragraph */
    unsigned para;
} event;

typedef struct parser {
    st_doc *doc;
    event *ev;
    size_t ev_count, i;
    st_node **order; /* nodes in document order */
    size_t order_count, order_cap;
    int style_depth[ST_STYLE_COUNT]; /* depth where each style was first used, -1 unseen */
    /* positions (indices into doc->lex) of lexemes with ordinal 2, per style */
    size_t *second[ST_STYLE_COUNT];
    size_t second_count[ST_STYLE_COUNT], second_cap[ST_STYLE_COUNT];
    size_t *next_block; /* per lexeme: index of the next line-start structural lexeme */
    unsigned title_para;   /* paragraphs before this one are the title */
    unsigned closing_para; /* paragraphs from this one on are the closing … */
    size_t closing_pos;    /* … which starts here in the clean text */
    size_t cached_event;  /* decide() result kept while the parse unwinds to it */
    st_node *cached_target;
} parser;

typedef enum action { ACT_HERE, ACT_ABOVE, ACT_TEXT } action;

static size_t heading_end(const st_doc *doc, size_t start, size_t limit);

static bool is_structural(st_style s) { return s != ST_STYLE_NONE && !st_style_is_lead(s); }

/* ---- small text helpers on the clean text ---- */

static size_t skip_space(const st_doc *doc, size_t i, size_t end)
{
    while (i < end) {
        /* st_space_len: the space test on the bytes, no decoding */
        size_t n = doc->text[i] == '\n' ? 1 : st_space_len(doc->text + i, end - i);
        if (!n) break;
        i += n;
    }
    return i;
}

/* Length of the space or '\n' that ends at text[end-1], 0 when there is none.
 * Decided on the bytes: a space is ASCII, C2 A0 or 3 bytes (st_space_len),
 * and in valid UTF-8 the bytes before end start such a character only if it
 * is the one that ends there. */
static size_t space_len_before(const char *text, size_t end)
{
    const unsigned char *u = (const unsigned char *)text;
    unsigned b = u[end - 1];
    if (b < 0x80) return b == ' ' || (b >= '\t' && b <= '\r') ? 1 : 0; /* \t \n \v \f \r */
    if (end >= 2 && b == 0xA0 && u[end - 2] == 0xC2) return 2;
    if (end >= 3 && st_space_len(text + end - 3, 3) == 3) return 3;
    return 0;
}

static size_t trim_end(const st_doc *doc, size_t start, size_t end)
{
    size_t n;
    while (end > start && (n = space_len_before(doc->text, end)) != 0) end -= n;
    return end;
}

static bool starts_with(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && memcmp(s, lit, n) == 0;
}

static size_t para_chars(const st_doc *doc, unsigned p)
{
    return st_utf8_count(doc->text + doc->paras[p].start, doc->paras[p].end - doc->paras[p].start);
}

/* ---- heading paragraphs without a marker ---- */

static bool has_sentence_punct(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B || c == ';' || c == '!' || c == '?')
            return true;
        if (c == '.' && i > 0 && !(s[i - 1] >= '0' && s[i - 1] <= '9')) return true;
        i += n;
    }
    return false;
}

/* Words that announce a list rather than name a part: 主要有以下几个方面： */
static bool is_intro_line(const char *s, size_t len)
{
    static const char *const words[] = {"以下", "如下", "下列", "几点", "几个方面", "这样几", "有：", "在：", "为：", "是："};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (st_contains_lit(s, len, words[i])) return true;
    return false;
}

/* A short paragraph that ends in a colon (or a very short one naming a
 * section kind) and may open a part of its own. */
static bool heading_paragraph_candidate(parser *p, unsigned pi)
{
    st_doc *doc = p->doc;
    const char *s = doc->text + doc->paras[pi].start;
    size_t len = doc->paras[pi].end - doc->paras[pi].start;
    size_t chars = para_chars(doc, pi);
    if (chars < 3 || chars > 60) return false;
    size_t n;
    uint32_t last = st_utf8_prev(s, len, &n);
    bool colon = last == 0xFF1A || last == ':';
    if (has_sentence_punct(s, len - (colon ? n : 0))) return false;
    if (is_intro_line(s, len)) return false;
    if (colon) return true;
    if (chars > 20 || last == 0xFF0C || last == ',' || last == 0x3001) return false;
    /* 理论学习方面: a part named by the aspect it covers */
    return st_kind_of_heading(doc, s, len, true) != ST_KIND_OTHER || (len > 6 && memcmp(s + len - 6, "方面", 6) == 0);
}

/* ---- nodes ---- */

static st_node *add_node(parser *p, st_node *parent, const event *e)
{
    st_doc *doc = p->doc;
    st_node *node = st_arena_alloc(&doc->arena, sizeof *node);
    node->parent = parent;
    if (parent->last_child) parent->last_child->next = node;
    else parent->first_child = node;
    parent->last_child = node;
    parent->child_count++;
    node->depth = parent == &doc->root ? 0 : parent->depth + 1;
    node->para = e->para;
    if (e->lexeme == SIZE_MAX) {
        node->style = ST_STYLE_NONE;
        node->ordinal = -1;
        node->block = true;
        node->marker_start = node->marker_end = doc->paras[e->para].start;
    } else {
        const st_lexeme *lx = &doc->lex[e->lexeme];
        node->style = lx->style;
        node->ordinal = lx->ordinal;
        node->is_inline = !lx->line_start;
        node->block = lx->line_start;
        node->marker_start = lx->start;
        node->marker_end = lx->end;
        parent->list_style = lx->style;
        parent->list_last = lx->ordinal;
    }
    st_node **slot = ST_PUSH(p->order, p->order_count, p->order_cap);
    *slot = node;
    return node;
}

static void diag_lexeme(parser *p, const st_lexeme *lx, const char *code, const char *why)
{
    st_doc *doc = p->doc;
    size_t s = st_clean_to_src(doc, lx->start);
    size_t e = st_clean_to_src(doc, lx->end);
    st_add_diag(doc, code, s, e, "\"%.*s\" %s", (int)(lx->end - lx->start), doc->text + lx->start, why);
}

/* Is there a lexeme of this style with ordinal 2 after lexeme i, before the
 * next line-start structural marker? A list has at least two items. */
static bool list_goes_on(parser *p, size_t i)
{
    const st_lexeme *lx = &p->doc->lex[i];
    size_t *v = p->second[lx->style];
    size_t n = p->second_count[lx->style], lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] <= i) lo = mid + 1;
        else hi = mid;
    }
    if (lo == n) return false;
    size_t bound = p->next_block[i];
    /* a line-start lexeme bounds only the lists it could close */
    return v[lo] < bound || (bound < p->doc->lex_count && p->doc->lex[bound].style == lx->style);
}

/* After the heading paragraph at event p->i, does another one come before a
 * line-start marker of one of stop_styles (bits by style; the section's own
 * style: its next sibling)? Then they are the parts of their section
 * (理论学习方面： … 工作作风方面：, 对张XX同志： 1.… 对王XX同志： 1.…), not an
 * introduction to it. */
static bool more_parts_follow(const parser *p, unsigned stop_styles)
{
    for (size_t j = p->i + 1; j < p->ev_count; j++) {
        if (p->ev[j].lexeme == SIZE_MAX) return true;
        const st_lexeme *lx = &p->doc->lex[p->ev[j].lexeme];
        if (lx->line_start && (stop_styles >> lx->style & 1u)) return false;
    }
    return false;
}

#define STYLE_BIT(s) (1u << (s))
/* Before any section, a later heading paragraph before a line-start marker
 * of a section style means the document is divided by such paragraphs
 * (对张XX同志： 1.… 对王XX同志： 1.…). */
enum { SECTION_STYLES = STYLE_BIT(ST_STYLE_CN_COMMA) | STYLE_BIT(ST_STYLE_CN_PAREN) | STYLE_BIT(ST_STYLE_DI_PART) };
_Static_assert(ST_STYLE_COUNT <= 32, "a style bit for each style");

/* Is text[start, end) a label of at most 4 characters and a colon (问题：,
 * 整改措施：)? */
static bool label_colon(const st_doc *doc, size_t start, size_t end)
{
    size_t e = trim_end(doc, start, end), n;
    if (e <= start) return false;
    uint32_t last = st_utf8_prev(doc->text + start, e - start, &n);
    if (last != 0xFF1A && last != ':') return false;
    size_t chars = st_utf8_count(doc->text + start, e - n - start);
    return chars >= 1 && chars <= 4;
}

/* Is the node's paragraph only its marker and a heading without a sentence
 * (一、存在的问题)? */
static bool bare_heading_line(const st_doc *doc, const st_node *n)
{
    const st_para *np = &doc->paras[n->para];
    size_t h = skip_space(doc, n->marker_end, np->end);
    return heading_end(doc, h, np->end) >= np->end && !has_sentence_punct(doc->text + h, np->end - h);
}

/* Where does event e belong, seen from the node `parent` (deepest open)? */
static action decide(parser *p, st_node *parent, const event *e, st_node **target)
{
    st_doc *doc = p->doc;
    if (e->lexeme == SIZE_MAX && p->cached_event == p->i) {
        *target = p->cached_target;
        return p->cached_target == parent ? ACT_HERE : ACT_ABOVE;
    }
    if (e->lexeme == SIZE_MAX) {
        /* heading paragraph: sibling of the nearest heading paragraph, else of
         * the deepest line-start structural item, else top-level if it names a kind */
        st_node *last = p->order_count ? p->order[p->order_count - 1] : NULL;
        if (last && last->block && !last->first_child && last->para + 1 == e->para &&
            last->style != ST_STYLE_NONE) {
            /* right under a bare heading line (一、存在的问题) it is that
             * heading's intro, unless it is the first of its parts */
            if (bare_heading_line(doc, last) && !more_parts_follow(p, STYLE_BIT(last->style))) return ACT_TEXT;
        }
        st_node *t = NULL;
        for (st_node *a = parent; a && a != &doc->root; a = a->parent)
            if (a->style == ST_STYLE_NONE) { t = a->parent; break; }
        if (!t)
            for (st_node *a = parent; a && a != &doc->root; a = a->parent) {
                if (!a->block) continue;
                /* the first part of a top-level section (a bare heading
                 * line) that has no numbered parts is its child, unless it
                 * names a kind */
                const st_para *pp = &doc->paras[e->para];
                bool block_children = false;
                for (st_node *c = a->first_child; c && !block_children; c = c->next) block_children = c->block;
                if (a->depth == 0 && !block_children && bare_heading_line(doc, a) &&
                    st_kind_of_heading(doc, doc->text + pp->start, pp->end - pp->start, true) == ST_KIND_OTHER)
                    t = a;
                else
                    t = a->parent;
                break;
            }
        if (!t) {
            const st_para *pp = &doc->paras[e->para];
            if (st_kind_of_heading(doc, doc->text + pp->start, pp->end - pp->start, true) == ST_KIND_OTHER &&
                !(p->order_count == 0 && more_parts_follow(p, SECTION_STYLES)))
                return ACT_TEXT;
            t = &doc->root;
        }
        p->cached_event = p->i;
        p->cached_target = t;
        *target = t;
        return t == parent ? ACT_HERE : ACT_ABOVE;
    }

    const st_lexeme *lx = &doc->lex[e->lexeme];
    /* 1. continues the list of this node or an ancestor; a marker that starts
     * a line goes on with a list of line-start items rather than with an
     * inline list of an earlier paragraph (二是…：一是…二是… ↵ 三是…) */
    st_node *fits = NULL;
    for (st_node *a = parent; a; a = a->parent) {
        if (a->list_style != lx->style || lx->ordinal != a->list_last + 1) continue;
        bool inline_list = a->last_child && !a->last_child->block && a->last_child->para != lx->para;
        if (!fits) fits = a;
        if (!lx->line_start || !inline_list) {
            fits = a;
            break;
        }
    }
    if (fits) {
        *target = fits;
        return fits == parent ? ACT_HERE : ACT_ABOVE;
    }
    /* 2. starts a new list */
    if (lx->ordinal == 1) {
        bool needs_second = st_style_is_lead(lx->style) || !lx->line_start;
        if (needs_second && !list_goes_on(p, e->lexeme)) return ACT_TEXT;
        st_node *t = parent;
        /* a new paragraph's list never nests in an item of its own style: 一是
         * after 二是 restarts the list beside it (在作风建设上，一是…); in the
         * item's own paragraph it is the item's list (二是…，表现为：一是…) */
        while (t != &doc->root && t->style == lx->style && t->para != lx->para) t = t->parent;
        if (is_structural(lx->style)) {
            /* a heading-style list does not open inside an item found in an
             * earlier paragraph's running text */
            while (t != &doc->root && !t->block && t->para != lx->para) t = t->parent;
        }
        if (t->depth + 1 >= ST_MAX_DEPTH && t != &doc->root) return ACT_TEXT;
        *target = t;
        return t == parent ? ACT_HERE : ACT_ABOVE;
    }
    /* 3. a line-start heading marker that skips or repeats an ordinal */
    if (lx->line_start && is_structural(lx->style)) {
        for (st_node *a = parent; a; a = a->parent) {
            if (a->list_style == lx->style && lx->ordinal >= a->list_last && lx->ordinal <= a->list_last + 3) {
                *target = a;
                return a == parent ? ACT_HERE : ACT_ABOVE;
            }
        }
        /* numbering that runs on across parts (问题清单: 1. 2. under 一、, then
         * 3. under 二、): it goes on from the list of the part before */
        for (st_node *a = parent; a != &doc->root; a = a->parent) {
            if (!a->block) continue;
            st_node *prev = NULL;
            for (st_node *c = a->parent->first_child; c && c != a; c = c->next) prev = c;
            if (prev && prev->list_style == lx->style && lx->ordinal == prev->list_last + 1 &&
                a->list_style != lx->style && a->depth + 1 < ST_MAX_DEPTH) {
                *target = a;
                return a == parent ? ACT_HERE : ACT_ABOVE;
            }
            break;
        }
        /* a style's very first list starting at 二 or 三: its first item was lost */
        if (p->style_depth[lx->style] < 0 && lx->ordinal <= 3 && lx->style != ST_STYLE_NUM_DECIMAL) {
            st_node *t = parent;
            while (t != &doc->root && !t->block && t->para != lx->para) t = t->parent;
            if (t != &doc->root && t->depth + 1 >= ST_MAX_DEPTH) return ACT_TEXT;
            *target = t;
            return t == parent ? ACT_HERE : ACT_ABOVE;
        }
    }
    return ACT_TEXT;
}

static void parse_children(parser *p, st_node *parent)
{
    st_doc *doc = p->doc;
    while (p->i < p->ev_count) {
        const event *e = &p->ev[p->i];
        st_node *target = NULL;
        action a = decide(p, parent, e, &target);
        if (a == ACT_ABOVE) return;
        p->i++;
        if (a == ACT_TEXT) {
            if (e->lexeme != SIZE_MAX) {
                const st_lexeme *lx = &doc->lex[e->lexeme];
                if (lx->line_start || !st_style_is_lead(lx->style) || lx->ordinal > 1)
                    diag_lexeme(p, lx, "not-a-marker", "looks like a marker but does not continue or start a list; kept as text");
            }
            continue;
        }
        if (e->lexeme != SIZE_MAX) {
            const st_lexeme *lx = &doc->lex[e->lexeme];
            if (parent->list_style == lx->style && lx->ordinal != parent->list_last + 1 && lx->ordinal != 1) {
                diag_lexeme(p, lx, lx->ordinal == parent->list_last ? "ordinal-repeat" : "ordinal-gap",
                            lx->ordinal == parent->list_last ? "repeats the previous ordinal"
                                                             : "skips an ordinal of its list");
            }
            int depth = parent == &doc->root ? 0 : (int)parent->depth + 1;
            if (is_structural(lx->style) && p->style_depth[lx->style] < 0 && lx->ordinal > 1)
                diag_lexeme(p, lx, "ordinal-gap", "starts its list after ordinal 1");
            if ((lx->ordinal == 1 || p->style_depth[lx->style] < 0) && is_structural(lx->style) &&
                parent->list_style != lx->style) {
                if (p->style_depth[lx->style] < 0) p->style_depth[lx->style] = depth;
                else if (p->style_depth[lx->style] != depth)
                    diag_lexeme(p, lx, "style-depth", "uses a marker style at a second depth");
            }
        }
        st_node *node = add_node(p, parent, e);
        parse_children(p, node);
    }
}

/* ---- title, preamble, closing ---- */

static bool is_title_paragraph(const st_doc *doc)
{
    if (doc->para_count < 2) return false;
    const st_para *p0 = &doc->paras[0];
    const char *s = doc->text + p0->start;
    size_t len = p0->end - p0->start;
    if (doc->lex_count && doc->lex[0].para == 0 && doc->lex[0].line_start) return false;
    if (st_utf8_count(s, len) > 100) return false;
    for (size_t i = 0; i < len;) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B) return false;
        i += n;
    }
    size_t n;
    uint32_t last = st_utf8_prev(s, len, &n);
    if (last == 0xFF1A || last == ':' || last == 0xFF0C || last == ',') return false;
    /* a document that opens with a bare section heading (存在的问题) has no
     * title; one that names a document (检视问题清单, 整改方案) is a title */
    static const char *const document_words[] = {"清单", "材料", "提纲", "方案", "发言", "讲话", "清單", "提綱", "發言", "講話"};
    for (size_t w = 0; w < sizeof document_words / sizeof *document_words; w++) {
        size_t wl = strlen(document_words[w]);
        if (len >= wl && memcmp(s + len - wl, document_words[w], wl) == 0) return true;
    }
    return !(st_utf8_count(s, len) <= 15 && st_kind_of_heading((st_doc *)doc, s, len, true) != ST_KIND_OTHER);
}

/* Does the text s[0..len) open the closing? tail: bytes from s to the end of
 * its paragraph; a request for criticism (…批评指正) without a closing's lead
 * counts only within the last 800 bytes. */
static bool is_closing_text(const char *s, size_t len, size_t tail)
{
    static const char *const leads[] = {"同志们", "同志們", "各位领导", "各位領導", "谢谢", "謝謝",
                                        "恳请", "懇請", "敬请", "敬請", "请同志们", "請同志們", "不妥之处", "不妥之處"};
    for (size_t i = 0; i < sizeof leads / sizeof *leads; i++)
        if (starts_with(s, len, leads[i])) return true;
    if (starts_with(s, len, "以上")) {
        static const char *const after[] = {"对照", "對照", "检查", "檢查", "发言", "發言", "是", "就是", "汇报",
                                            "匯報", "材料", "剖析", "，", ",", "报告", "報告", "内容", "所述",
                                            "几点", "幾點", "查摆", "查擺", "问题", "問題", "对", "對"};
        for (size_t i = 0; i < sizeof after / sizeof *after; i++)
            if (starts_with(s + 6, len - 6, after[i])) return true;
    }
    /* 200 characters never take more than 800 bytes: no count of a long tail */
    if (tail <= 4 * 200 && st_utf8_count(s, len) <= 200 &&
        (st_contains_lit(s, len, "批评指正") || st_contains_lit(s, len, "批評指正") ||
         st_contains_lit(s, len, "批评帮助") || st_contains_lit(s, len, "批評幫助")))
        return true;
    return false;
}

static inline bool sentence_lead_byte(unsigned char b) { return b < 0x40 || b == 0xE3 || b == 0xEF; }

#ifdef __SSE2__
/* Bit k set when byte k of the 16 at s may start a sentence end: ASCII below
 * 0x40, E3 (。) or EF (the fullwidth ！？；：．). */
static inline uint64_t sentence_lead_bytes(const unsigned char *s)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)s);
    const __m128i ascii = _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8((char)0xC0)), _mm_setzero_si128());
    const __m128i e3 = _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xE3));
    const __m128i ef = _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xEF));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ascii, _mm_or_si128(e3, ef)));
}
#endif

/* Bit k set when u[i+k] (i+k < end, k < 64) may start a sentence end. */
static inline uint64_t sentence_leads_from(const unsigned char *u, size_t i, size_t end)
{
#ifdef __SSE2__
    if (end - i >= 64)
        return sentence_lead_bytes(u + i) | sentence_lead_bytes(u + i + 16) << 16 |
               sentence_lead_bytes(u + i + 32) << 32 | sentence_lead_bytes(u + i + 48) << 48;
    if (end >= 16) {
        uint64_t bits = 0;
        size_t k = 0;
        for (; end - i - k >= 16; k += 16) bits |= sentence_lead_bytes(u + i + k) << k;
        /* the rest: the last 16 bytes, shifted down */
        if (i + k < end) bits |= (sentence_lead_bytes(u + end - 16) >> (16 - (end - i - k))) << k;
        return bits;
    }
#endif
    uint64_t bits = 0;
    for (size_t k = 0; k < 64 && i + k < end; k++) bits |= (uint64_t)sentence_lead_byte(u[i + k]) << k;
    return bits;
}

static inline bool is_ascii_digit(unsigned char b) { return b >= '0' && b <= '9'; }

/* Length of the sentence end at u[i] (start <= i < limit), 0 when there is
 * none: 。！？；：． and ! ? ; :, but not ':' after a digit (10:30) nor '.'
 * between digits (1.5). */
static size_t sentence_end_at(const unsigned char *u, size_t start, size_t i, size_t limit)
{
    unsigned b = u[i];
    if (b < 0x80) {
        bool digit_before = i > start && is_ascii_digit(u[i - 1]);
        if (b == '!' || b == '?' || b == ';') return 1;
        if (b == ':') return digit_before ? 0 : 1;
        if (b == '.') return digit_before && i + 1 < limit && is_ascii_digit(u[i + 1]) ? 0 : 1;
        return 0;
    }
    if (limit - i < 3) return 0;
    if (b == 0xE3) return u[i + 1] == 0x80 && u[i + 2] == 0x82 ? 3 : 0; /* 。 */
    if (b == 0xEF && u[i + 1] == 0xBC) { /* ！？；：． U+FF01 FF1F FF1B FF1A FF0E */
        unsigned t = u[i + 2];
        return t == 0x81 || t == 0x9F || t == 0x9B || t == 0x9A || t == 0x8E ? 3 : 0;
    }
    return 0;
}

/* End of the heading that starts at `start`: the first sentence end (with a
 * closing quote right after it), the next marker, or the paragraph end.
 * Only the bytes that can start a sentence end are looked at (in valid
 * UTF-8 they start characters), found 64 at a time. */
static size_t heading_end(const st_doc *doc, size_t start, size_t limit)
{
    const unsigned char *u = (const unsigned char *)doc->text;
    size_t i = start, n = 0;
    for (; i < limit; i += 64) {
        for (uint64_t bits = sentence_leads_from(u, i, limit); bits; bits &= bits - 1) {
            size_t at = i + (unsigned)__builtin_ctzll(bits);
            if ((n = sentence_end_at(u, start, at, limit)) != 0) {
                i = at;
                goto found;
            }
        }
    }
    return limit;
found:
    i += n;
    size_t m;
    while (i < limit) {
        uint32_t q = st_utf8_next(doc->text + i, limit - i, &m);
        if (q != 0x201D && q != 0x2019 && q != 0x300D && q != 0x300F && q != '"') break;
        i += m;
    }
    return i;
}

static void cut_fields(parser *p)
{
    st_doc *doc = p->doc;
    size_t doc_end = trim_end(doc, 0, doc->text_len);

    size_t closing_start = p->closing_pos < doc_end ? p->closing_pos : doc_end;
    doc->closing_start = closing_start;
    doc->closing_end = closing_start < doc_end ? doc_end : closing_start;

    /* title and preamble */
    size_t body_start = 0;
    if (doc->has_title) {
        doc->title_start = doc->paras[0].start;
        doc->title_end = doc->paras[0].end;
        body_start = doc->para_count > 1 ? doc->paras[1].start : doc->paras[0].end;
    }
    size_t first_item = p->order_count ? p->order[0]->marker_start : closing_start;
    doc->preamble_start = skip_space(doc, body_start, first_item);
    doc->preamble_end = trim_end(doc, doc->preamble_start, first_item);

    /* each node: heading, then its own text up to the next node */
    for (size_t k = 0; k < p->order_count; k++) {
        st_node *n = p->order[k];
        size_t next = k + 1 < p->order_count ? p->order[k + 1]->marker_start : closing_start;
        const st_para *para = &doc->paras[n->para];
        size_t limit = para->end < next ? para->end : next;
        if (n->style == ST_STYLE_NONE) {
            /* the whole paragraph, up to an inline item inside it (学习方面：一要…) */
            n->heading_start = para->start;
            n->heading_end = trim_end(doc, para->start, limit);
        } else {
            n->heading_start = skip_space(doc, n->marker_end, limit);
            /* 一是：学习不够深入。 — a colon right after the marker does not end the heading */
            size_t from = n->heading_start;
            if (limit - from >= 3 && memcmp(doc->text + from, "\xEF\xBC\x9A", 3) == 0) from += 3; /* ： */
            else if (from < limit && doc->text[from] == ':') from++;
            size_t he = heading_end(doc, skip_space(doc, from, limit), limit);
            /* a label and its colon (问题：学习系统性不强。) is not the whole heading */
            if (he < limit && label_colon(doc, n->heading_start, he)) he = heading_end(doc, he, limit);
            n->heading_end = trim_end(doc, n->heading_start, he);
        }
        n->text_start = skip_space(doc, n->heading_end, next);
        n->text_end = trim_end(doc, n->text_start, next);
    }
}

/* The closing: among the last few paragraphs, the first that reads like one
 * (以上对照检查…, 同志们…, …批评指正), with no marker line after it; else a
 * closing sentence at the end of the last paragraph (a flattened copy). */
static void find_closing(parser *p)
{
    const st_doc *doc = p->doc;
    p->closing_para = (unsigned)doc->para_count;
    p->closing_pos = doc->text_len;
    if (!doc->para_count) return;
    unsigned window = doc->para_count > 4 ? doc->para_count - 4 : 0;
    if (window < p->title_para + 1) window = p->title_para + 1;
    unsigned last_marker_para = 0;
    bool any_marker = false;
    size_t last_lexeme_end = 0;
    for (size_t i = 0; i < doc->lex_count; i++) {
        if (doc->lex[i].line_start) {
            last_marker_para = doc->lex[i].para;
            any_marker = true;
        }
        last_lexeme_end = doc->lex[i].end;
    }
    if (any_marker && window <= last_marker_para) window = last_marker_para + 1;
    for (unsigned pi = window; pi < doc->para_count; pi++) {
        const st_para *pp = &doc->paras[pi];
        if (is_closing_text(doc->text + pp->start, pp->end - pp->start, pp->end - pp->start)) {
            p->closing_para = pi;
            p->closing_pos = pp->start;
            return;
        }
    }
    /* a closing followed by a numbered list of attachments (附件：1.… 2.…):
     * only short lines without a sentence after it */
    unsigned tail = doc->para_count > 4 ? doc->para_count - 4 : 0;
    if (tail < p->title_para + 1) tail = p->title_para + 1;
    for (unsigned pi = tail; pi + 1 < doc->para_count; pi++) {
        const st_para *pp = &doc->paras[pi];
        if (!is_closing_text(doc->text + pp->start, pp->end - pp->start, pp->end - pp->start)) continue;
        bool only_short = true;
        for (unsigned after = pi + 1; after < doc->para_count && only_short; after++) {
            const st_para *ap = &doc->paras[after];
            only_short = ap->end - ap->start <= 4 * 30 && para_chars(doc, after) <= 30 &&
                         !has_sentence_punct(doc->text + ap->start, ap->end - ap->start);
        }
        if (only_short) {
            p->closing_para = pi;
            p->closing_pos = pp->start;
            return;
        }
    }
    const st_para *lp = &doc->paras[doc->para_count - 1];
    if (doc->para_count - 1 < p->title_para) return;
    /* each sentence after the first, judged on its own: …批评指正 further
     * on does not make the sentence before the closing part of it */
    size_t i = lp->start > last_lexeme_end ? lp->start : last_lexeme_end;
    size_t sentence = SIZE_MAX; /* start of the sentence being read */
    while (i < lp->end) {
        size_t n;
        uint32_t c = st_utf8_next(doc->text + i, lp->end - i, &n);
        i += n;
        bool end = c == 0x3002 || c == 0xFF01 || c == 0xFF1F;
        if (!end && i < lp->end) continue;
        if (sentence < lp->end && is_closing_text(doc->text + sentence, i - sentence, lp->end - sentence)) {
            p->closing_para = (unsigned)doc->para_count - 1;
            p->closing_pos = sentence;
            return;
        }
        if (end) sentence = skip_space(doc, i, lp->end);
    }
}

static void build_events(parser *p)
{
    st_doc *doc = p->doc;
    p->ev = malloc((doc->lex_count + doc->para_count + 1) * sizeof *p->ev);
    if (!p->ev) abort();
    size_t li = 0;
    for (unsigned pi = p->title_para; pi <= doc->para_count; pi++) {
        /* lexemes of earlier paragraphs (title's are skipped) */
        while (li < doc->lex_count && doc->lex[li].para < pi) {
            if (doc->lex[li].para >= p->title_para && doc->lex[li].start < p->closing_pos) {
                event *e = &p->ev[p->ev_count++];
                e->pos = doc->lex[li].start;
                e->lexeme = li;
                e->para = doc->lex[li].para;
            }
            li++;
        }
        if (pi == doc->para_count || doc->paras[pi].start >= p->closing_pos) continue;
        bool marker_first = li < doc->lex_count && doc->lex[li].para == pi && doc->lex[li].line_start;
        if (!marker_first && heading_paragraph_candidate(p, pi)) {
            event *e = &p->ev[p->ev_count++];
            e->pos = doc->paras[pi].start;
            e->lexeme = SIZE_MAX;
            e->para = pi;
        }
    }
}

static void index_lexemes(parser *p)
{
    st_doc *doc = p->doc;
    for (size_t i = 0; i < doc->lex_count; i++) {
        const st_lexeme *lx = &doc->lex[i];
        if (lx->ordinal == 2) {
            size_t *slot = ST_PUSH(p->second[lx->style], p->second_count[lx->style], p->second_cap[lx->style]);
            *slot = i;
        }
    }
    p->next_block = malloc((doc->lex_count + 1) * sizeof *p->next_block);
    if (!p->next_block) abort();
    size_t next = doc->lex_count;
    for (size_t i = doc->lex_count; i-- > 0;) {
        p->next_block[i] = next;
        if (doc->lex[i].line_start && is_structural(doc->lex[i].style)) next = i;
    }
}

/* A document cut off by its site (…（三）严守纪 then …… or nothing, no
 * closing): the last item, with fewer than 6 characters of heading and no
 * text, children or sentence end, is text of the item before it. */
static void drop_cut_off_item(parser *p)
{
    st_doc *doc = p->doc;
    if (!p->order_count || p->closing_pos < doc->text_len) return;
    st_node *n = p->order[p->order_count - 1];
    if (n->first_child || n->style == ST_STYLE_NONE) return;
    const char *t = doc->text;
    size_t chars = 0, m;
    uint32_t last = 0;
    for (size_t i = n->marker_end; i < doc->text_len; i += m) {
        uint32_t c = st_utf8_next(t + i, doc->text_len - i, &m);
        if (st_is_space(c) || c == '\n' || c == 0x2026 || c == 0x22EF || c == '.') continue; /* … ⋯ ... */
        last = c;
        if (++chars >= 6) return;
    }
    if (!chars || st_is_sentence_end(last) || last == 0xFF0C || last == ',') return;
    st_node *parent = n->parent, *prev = NULL;
    for (st_node *c = parent->first_child; c != n; c = c->next) prev = c;
    if (prev) prev->next = NULL;
    else parent->first_child = NULL;
    parent->last_child = prev;
    parent->child_count--;
    p->order_count--;
    size_t end = doc->paras[n->para].end;
    if (end - n->marker_start > 120) end = st_utf8_char_start(t, n->marker_start, n->marker_start + 120);
    st_add_diag(doc, "cut-off", st_clean_to_src(doc, n->marker_start), st_clean_to_src(doc, end),
                "the text ends inside this item (\"%.*s\"); kept as text", (int)(end - n->marker_start),
                t + n->marker_start);
}

int st_parse_tree(st_doc *doc)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.doc = doc;
    p.cached_event = SIZE_MAX;
    for (int s = 0; s < ST_STYLE_COUNT; s++) p.style_depth[s] = -1;
    doc->root.ordinal = -1;
    doc->root.list_style = ST_STYLE_NONE;

    doc->has_title = is_title_paragraph(doc);
    p.title_para = doc->has_title ? 1 : 0;
    find_closing(&p);
    index_lexemes(&p);
    build_events(&p);
    while (p.i < p.ev_count) parse_children(&p, &doc->root);
    drop_cut_off_item(&p);
    cut_fields(&p);

    free(p.ev);
    free(p.order);
    free(p.next_block);
    for (int s = 0; s < ST_STYLE_COUNT; s++) free(p.second[s]);
    return 0;
}
