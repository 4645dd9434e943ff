/* Classify: the kind of each top-level section and heading paragraph.
 *
 * Chinese phrases are head-final, so the head clause decides: the last clause
 * of the heading, and in it the keyword that ends last (问题产生的原因分析 is
 * causes: 原因 ends after 问题), which must end the clause but for a generic
 * tail word (方面, 情况, 说明 …); a last clause that only announces a list
 * (主要表现在以下方面) hands over to the clause before it. A heading whose
 * head names no kind is "other": 对照党章党规找差距，就要坚持领导带头学 (the
 * last clause has none), 在检视问题上动真格 (问题 is not the head).
 * Traditional-script headings are matched after an ICU Traditional->Simplified
 * transform; the common traditional forms are also listed so that matching
 * does not depend on ICU's transliterator. */
#include "internal.h"

#include <pthread.h>

typedef struct keyword {
    const char *word;
    st_kind kind;
} keyword;

static const keyword keywords[] = {
    {"准备情况", ST_KIND_PREPARATION}, {"准备工作", ST_KIND_PREPARATION}, {"会前准备", ST_KIND_PREPARATION},
    {"前期准备", ST_KIND_PREPARATION}, {"準備情況", ST_KIND_PREPARATION}, {"準備工作", ST_KIND_PREPARATION},
    {"會前準備", ST_KIND_PREPARATION}, {"前期準備", ST_KIND_PREPARATION}, {"征求意见情况", ST_KIND_PREPARATION},

    {"问题", ST_KIND_PROBLEMS}, {"差距", ST_KIND_PROBLEMS}, {"不足", ST_KIND_PROBLEMS},
    {"表现", ST_KIND_PROBLEMS}, {"短板", ST_KIND_PROBLEMS}, {"弱项", ST_KIND_PROBLEMS},
    {"問題", ST_KIND_PROBLEMS}, {"表現", ST_KIND_PROBLEMS}, {"查摆", ST_KIND_PROBLEMS},
    {"对照检查", ST_KIND_PROBLEMS}, {"對照檢查", ST_KIND_PROBLEMS}, /* 二、对照检查情况 */

    {"原因", ST_KIND_CAUSES}, {"原因分析", ST_KIND_CAUSES}, {"根源", ST_KIND_CAUSES}, {"根子", ST_KIND_CAUSES},
    {"剖析", ST_KIND_CAUSES}, {"症结", ST_KIND_CAUSES}, {"病根", ST_KIND_CAUSES}, {"症結", ST_KIND_CAUSES},

    {"措施", ST_KIND_MEASURES}, {"举措", ST_KIND_MEASURES}, {"對策", ST_KIND_MEASURES},
    {"对策", ST_KIND_MEASURES}, {"打算", ST_KIND_MEASURES}, {"努力方向", ST_KIND_MEASURES},
    {"整改方向", ST_KIND_MEASURES}, {"改进方向", ST_KIND_MEASURES}, {"前进方向", ST_KIND_MEASURES},
    {"下一步", ST_KIND_MEASURES}, {"下步", ST_KIND_MEASURES}, {"整改", ST_KIND_MEASURES},
    {"舉措", ST_KIND_MEASURES}, {"改進方向", ST_KIND_MEASURES}, {"前進方向", ST_KIND_MEASURES},
    {"努力的方向", ST_KIND_MEASURES}, {"整改思路", ST_KIND_MEASURES}, {"整改计划", ST_KIND_MEASURES},

    {"整改落实情况", ST_KIND_RECTIFICATION}, {"整改情况", ST_KIND_RECTIFICATION},
    {"整改落實情況", ST_KIND_RECTIFICATION}, {"整改情況", ST_KIND_RECTIFICATION},
    {"有关事项", ST_KIND_RECTIFICATION}, {"重大事项", ST_KIND_RECTIFICATION}, {"个人事项", ST_KIND_RECTIFICATION},
    {"有關事項", ST_KIND_RECTIFICATION}, {"重大事項", ST_KIND_RECTIFICATION}, {"個人事項", ST_KIND_RECTIFICATION},
    {"落实情况", ST_KIND_RECTIFICATION}, {"落實情況", ST_KIND_RECTIFICATION},
};

static bool clause_separator(uint32_t c)
{
    return c == 0xFF0C || c == ',' || c == 0xFF1B || c == ';' || c == 0xFF1A || c == ':' || c == 0x3002 ||
           c == 0xFF01 || c == 0xFF1F || c == '!' || c == '?';
}

enum { KEYWORD_COUNT = sizeof keywords / sizeof *keywords };

/* The keywords by their last byte, each bucket in list order:
 * keyword_by_last[bucket_start[b] .. bucket_start[b + 1]) end with byte b.
 * Built once (the table is static); read-only afterwards. */
static unsigned char keyword_len[KEYWORD_COUNT];
static unsigned char bucket_start[257];
static unsigned char keyword_by_last[KEYWORD_COUNT];
static pthread_once_t keyword_index_once = PTHREAD_ONCE_INIT;

static void build_keyword_index(void)
{
    unsigned count[256] = {0};
    for (unsigned k = 0; k < KEYWORD_COUNT; k++) {
        keyword_len[k] = (unsigned char)strlen(keywords[k].word);
        count[(unsigned char)keywords[k].word[keyword_len[k] - 1]]++;
    }
    unsigned fill[256];
    for (unsigned b = 0, at = 0; b < 256; b++) {
        bucket_start[b] = (unsigned char)at;
        fill[b] = at;
        at += count[b];
    }
    bucket_start[256] = KEYWORD_COUNT;
    for (unsigned k = 0; k < KEYWORD_COUNT; k++)
        keyword_by_last[fill[(unsigned char)keywords[k].word[keyword_len[k] - 1]]++] = (unsigned char)k;
}

static st_kind kind_of_clause(const char *s, size_t len, bool at_end)
{
    /* The keyword whose last occurrence ends last, the longest of those that
     * end there (原因分析 over 分析): walk the end offsets from the back and
     * stop at the first where a keyword ends. */
    st_kind best = ST_KIND_OTHER;
    size_t best_end = 0;
    const char *best_word = NULL;
    pthread_once(&keyword_index_once, build_keyword_index);
    for (size_t end = len; end > 0 && !best_word; end--) {
        unsigned char last = (unsigned char)s[end - 1];
        size_t found_len = 0;
        for (unsigned j = bucket_start[last]; j < bucket_start[last + 1]; j++) {
            const keyword *kw = &keywords[keyword_by_last[j]];
            size_t wl = keyword_len[keyword_by_last[j]];
            /* a longer one wins; of two as long (the same word), the first listed */
            if (wl > end || wl <= found_len || s[end - 2] != kw->word[wl - 2] ||
                memcmp(s + end - wl, kw->word, wl) != 0)
                continue;
            found_len = wl;
            best = kw->kind;
            best_end = end;
            best_word = kw->word;
        }
    }
    /* "落实情况" alone is rectification only when it is about 整改 */
    if (best_word && (strcmp(best_word, "落实情况") == 0 || strcmp(best_word, "落實情況") == 0)) {
        if (!st_contains_lit(s, len, "整改")) best = ST_KIND_OTHER;
    }
    /* what the last meeting's rectification came to (上次/上年度…整改…) */
    if (best == ST_KIND_MEASURES || best == ST_KIND_RECTIFICATION) {
        static const char *const earlier[] = {"上次", "上年度", "上一年度", "去年", "上一次", "前次", "以往", "上年"};
        for (size_t e = 0; e < sizeof earlier / sizeof *earlier; e++)
            if (st_contains_lit(s, best_end, earlier[e])) return ST_KIND_RECTIFICATION;
    }
    if (at_end && best != ST_KIND_OTHER) {
        /* the keyword must close the clause, but for a generic tail word */
        static const char *const tails[] = {"", "方面", "情况", "情況", "等", "部分", "说明", "說明",
                                            "清单", "清單", "分析", "汇报", "匯報", "报告", "報告", "等方面",
                                            "报告情况", "報告情況", "填报情况", "填報情況"};
        bool ok = false;
        for (size_t t = 0; t < sizeof tails / sizeof *tails; t++)
            if (len - best_end == strlen(tails[t]) && memcmp(s + best_end, tails[t], len - best_end) == 0) ok = true;
        if (!ok) best = ST_KIND_OTHER;
    }
    return best;
}

/* A clause that only announces what follows (主要表现在以下方面, 主要有以下几点,
 * 具体如下): the clause before it names the part. */
static bool lead_in_clause(const char *s, size_t len)
{
    static const char *const words[] = {"以下", "如下", "几个方面", "几方面", "幾個方面", "下列"};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (st_contains_lit(s, len, words[w])) return true;
    return false;
}

st_kind st_kind_of_heading(st_doc *doc, const char *s, size_t len, bool keyword_at_end)
{
    if (doc->traditional) s = st_to_simplified(doc, s, len, &len);
    size_t end = len;
    for (int clause = 0; clause < 3; clause++) {
        /* drop trailing punctuation and spaces, then take the last clause */
        while (end > 0) {
            size_t n;
            uint32_t c = st_utf8_prev(s, end, &n);
            if (!clause_separator(c) && !st_is_space(c)) break;
            end -= n;
        }
        size_t start = end;
        while (start > 0) {
            size_t n;
            uint32_t c = st_utf8_prev(s, start, &n);
            if (clause_separator(c)) break;
            start -= n;
        }
        st_kind kind = kind_of_clause(s + start, end - start, keyword_at_end);
        if (kind != ST_KIND_OTHER || start == 0 || !lead_in_clause(s + start, end - start)) return kind;
        end = start;
    }
    return ST_KIND_OTHER;
}

static void classify_node(st_doc *doc, st_node *n)
{
    for (; n; n = n->next) {
        if (n->depth == 0 || n->style == ST_STYLE_NONE)
            n->kind = st_kind_of_heading(doc, doc->text + n->heading_start, n->heading_end - n->heading_start, true);
        if (n->first_child) classify_node(doc, n->first_child);
    }
}

void st_classify(st_doc *doc)
{
    classify_node(doc, doc->root.first_child);
}
