//! Finding rule hits inside a scoped region.
//!
//! Guarantees:
//! - word boundaries: a words term matches whole words only; in prose and strings a
//!   word glued to its neighbour by `-`, `/`, `@`, `\`, `.` or `::` (a kebab name, a
//!   path, a module path, a file name) is not a separate word, and a word is never
//!   found inside a longer word or identifier (`runtime` does not hit `runtimes_x`
//!   nor `runtime_kind` in prose); in identifiers a words term matches whole
//!   snake/camel/kebab sub-words;
//! - tokens (legacy wire names) match exactly and case-sensitively;
//! - text inside URLs and hashes is never a hit;
//! - a suggested replacement keeps the case style of the original (`Agent runtime`
//!   -> `Agent process adapter`, `BOARD_STATUS` -> `AGENT_HUD_STATUS`,
//!   `boardStatus` -> `agentHudStatus`).

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::rule::{Rule, Scope};
use super::scanner::Region;

/// One place a rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub scope: Scope,
    /// The replacement in the original's case style.
    pub suggestion: Option<String>,
}

/// The words of one region, split once and shared by every rule.
#[derive(Debug, Clone, Default)]
pub struct RegionWords {
    /// Byte ranges relative to the region's start.
    pub words: Vec<Range<usize>>,
    /// Whether any word is a word of some rule's terms (lower case, plural `s`
    /// dropped) or a token: when not, no words or tokens term can match here.
    pub relevant: bool,
}

impl RegionWords {
    /// Identifier sub-words, or the words of prose and strings; `term_words` is
    /// [`crate::lint::config::Config::term_words`].
    pub fn of(text: &str, region: &Region, term_words: &std::collections::BTreeSet<String>) -> RegionWords {
        let body = &text[region.start..region.end];
        let words = if region.scope == Scope::Identifier { identifier_words(body) } else { prose_words(body) };
        let mut lower = String::new();
        let relevant = term_words.contains(body)
            || words.iter().any(|w| {
                let word = &body[w.clone()];
                if term_words.contains(word) {
                    return true;
                }
                lower.clear();
                lower.extend(word.chars().map(|c| c.to_ascii_lowercase()));
                term_words.contains(&lower) || lower.strip_suffix('s').is_some_and(|stem| term_words.contains(stem))
            });
        RegionWords { words, relevant }
    }
}

/// Finds the hits of `rule` (at index `rule_index`) in `region` of `text`, whose
/// words are `words`.
pub fn find_hits(rule: &Rule, rule_index: usize, text: &str, region: &Region, words: &RegionWords, out: &mut Vec<Hit>) {
    let spec = &rule.spec;
    if !spec.scopes.contains(&region.scope) {
        return;
    }
    if region.scope == Scope::Identifier && spec.declarations_only && !region.declaration {
        return;
    }
    let body = &text[region.start..region.end];
    let mut candidates: Vec<(Range<usize>, Option<String>)> = Vec::new();
    if !words.relevant {
        // no term word here: only patterns can match
    } else if region.scope == Scope::Identifier {
        identifier_candidates(rule, body, &words.words, &mut candidates);
    } else {
        word_candidates(rule, body, &words.words, &mut candidates);
    }
    for pattern in &rule.patterns {
        for m in pattern.find_iter(body) {
            if !m.is_empty() {
                candidates.push((m.range(), spec.replacement.clone()));
            }
        }
    }
    if candidates.is_empty() {
        return;
    }
    candidates.sort_by_key(|(r, _)| (r.start, r.end));
    candidates.dedup_by(|a, b| a.0 == b.0);
    let skipped = if region.scope == Scope::Identifier { Vec::new() } else { skipped_spans(body) };
    for (range, suggestion) in candidates {
        if skipped.iter().any(|s| s.start < range.end && range.start < s.end) {
            continue;
        }
        let start = region.start + range.start;
        let end = region.start + range.end;
        if !context_allows(rule, text, region, start, end) {
            continue;
        }
        out.push(Hit { rule: rule_index, start, end, scope: region.scope, suggestion });
    }
}

/// Words of prose or a string: maximal runs of letters, digits and `_`.
fn prose_words(body: &str) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in body.char_indices() {
        let word_char = c.is_alphanumeric() || c == '_';
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(s..body.len());
    }
    words
}

/// Sub-words of an identifier: split at `_`, `-`, lower-to-upper and acronym ends
/// (`HTTPServer` -> `HTTP`, `Server`).
pub fn identifier_words(ident: &str) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = ident.char_indices().collect();
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                words.push(s..i);
            }
            continue;
        }
        if let Some(s) = start {
            let prev = chars[k - 1].1;
            let next = chars.get(k + 1).map(|x| x.1);
            let boundary = (c.is_uppercase() && (prev.is_lowercase() || prev.is_ascii_digit()))
                || (c.is_uppercase() && prev.is_uppercase() && next.is_some_and(char::is_lowercase));
            if boundary {
                words.push(s..i);
                start = Some(i);
            }
        } else {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(s..ident.len());
    }
    words
}

/// `word` equals `term` ignoring ASCII case, or is its plural (`term` + `s`) when `last`.
fn word_matches(word: &str, term: &str, last: bool) -> Option<bool> {
    if word.eq_ignore_ascii_case(term) {
        return Some(false);
    }
    if last && word.len() == term.len() + 1 && word.is_char_boundary(term.len()) {
        let (stem, s) = word.split_at(term.len());
        if stem.eq_ignore_ascii_case(term) && s.eq_ignore_ascii_case("s") {
            return Some(true);
        }
    }
    None
}

/// Matches every words term of `rule` against consecutive `words` of `body`;
/// `separated` decides whether two consecutive words may belong to one phrase, and
/// `free` whether a phrase may start/end at a word (not glued to a neighbour).
fn match_words(
    rule: &Rule,
    body: &str,
    words: &[Range<usize>],
    separated: impl Fn(usize) -> bool,
    free: impl Fn(&Range<usize>) -> bool,
    identifier_style: bool,
    out: &mut Vec<(Range<usize>, Option<String>)>,
) {
    for term in &rule.words {
        let n = term.words.len();
        if n > words.len() {
            continue;
        }
        'positions: for i in 0..=(words.len() - n) {
            if identifier_style && rule.spec.ends_identifier && !ends_here(rule, body, &words[i + n..]) {
                continue;
            }
            let mut plural = false;
            for (k, tw) in term.words.iter().enumerate() {
                if k > 0 && !separated(i + k - 1) {
                    continue 'positions;
                }
                match word_matches(&body[words[i + k].clone()], tw, k + 1 == n) {
                    Some(p) => plural = p,
                    None => continue 'positions,
                }
            }
            let range = words[i].start..words[i + n - 1].end;
            if !free(&range) {
                continue;
            }
            let suggestion = rule.spec.replacement.as_deref().map(|r| {
                if identifier_style && rule.spec.fix {
                    identifier_styled(r, &body[range.clone()], plural)
                } else if identifier_style {
                    r.to_owned()
                } else {
                    prose_styled(r, &body[range.clone()], plural && rule.spec.fix)
                }
            });
            out.push((range, suggestion));
        }
    }
}

/// Whether the identifier sub-words `after` a term add no noun: none, or only the
/// rule's generic suffixes (in any case, plural `s` accepted) and digits.
fn ends_here(rule: &Rule, body: &str, after: &[Range<usize>]) -> bool {
    after.iter().all(|w| {
        let word = &body[w.clone()];
        word.chars().all(|c| c.is_ascii_digit())
            || rule.spec.generic_suffixes.iter().any(|g| word_matches(word, g, true).is_some())
    })
}

fn identifier_candidates(
    rule: &Rule,
    ident: &str,
    words: &[Range<usize>],
    out: &mut Vec<(Range<usize>, Option<String>)>,
) {
    for token in &rule.spec.tokens {
        if ident == token {
            let suggestion = rule.spec.replacement.as_deref().map(|r| token_styled(rule, r, ident));
            out.push((0..ident.len(), suggestion));
        }
    }
    if !rule.words.is_empty() {
        match_words(rule, ident, words, |_| true, |_| true, true, out);
    }
}

fn word_candidates(rule: &Rule, body: &str, words: &[Range<usize>], out: &mut Vec<(Range<usize>, Option<String>)>) {
    for w in words {
        let word = &body[w.clone()];
        if rule.spec.tokens.iter().any(|t| t == word) {
            let suggestion = rule.spec.replacement.as_deref().map(|r| token_styled(rule, r, word));
            out.push((w.clone(), suggestion));
        }
    }
    if rule.words.is_empty() {
        return;
    }
    let separated = |i: usize| {
        let gap = &body[words[i].end..words[i + 1].start];
        gap == "-" || (!gap.is_empty() && gap.chars().all(char::is_whitespace))
    };
    let free = |r: &Range<usize>| !glued_before(body, r.start) && !glued_after(body, r.end);
    match_words(rule, body, words, separated, free, false, out);
}

fn token_styled(rule: &Rule, replacement: &str, matched: &str) -> String {
    if rule.spec.fix {
        identifier_styled(replacement, matched, false)
    } else {
        replacement.to_owned()
    }
}

const GLUE: [char; 4] = ['-', '/', '@', '\\'];

fn glued_before(body: &str, at: usize) -> bool {
    let mut before = body[..at].chars().rev();
    match before.next() {
        Some(c) if GLUE.contains(&c) => true,
        Some('.' | ':') => before.next().is_some_and(|c| c.is_alphanumeric() || c == ':' || c == '_'),
        _ => false,
    }
}

fn glued_after(body: &str, at: usize) -> bool {
    let mut after = body[at..].chars();
    match after.next() {
        Some(c) if GLUE.contains(&c) => true,
        Some('.' | ':') => after.next().is_some_and(|c| c.is_alphanumeric() || c == ':' || c == '_'),
        _ => false,
    }
}

/// URLs and hashes inside prose or a string: never hits.
fn skipped_spans(body: &str) -> Vec<Range<usize>> {
    static SKIP: OnceLock<Regex> = OnceLock::new();
    let skip = SKIP.get_or_init(|| {
        Regex::new(r#"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)[^\s<>"'`)\]]*|\b[0-9a-f]{7,64}\b|\bsha(?:1|256|512)[:-][0-9a-z]+"#)
            .expect("valid skip regex")
    });
    skip.find_iter(body)
        .filter(|m| {
            let s = m.as_str();
            // a hex word is a hash only with a digit in it, or when long
            !s.chars().all(|c| c.is_ascii_hexdigit()) || s.len() >= 12 || s.chars().any(|c| c.is_ascii_digit())
        })
        .map(|m| m.range())
        .collect()
}

/// The text a rule's context regexes read: the sentence around a hit in prose and
/// strings (capped at 400 bytes each side), the source line for an identifier.
fn context_window(text: &str, region: &Region, start: usize, end: usize) -> Range<usize> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    if region.scope == Scope::Identifier {
        return line_start..line_end;
    }
    let floor = floor_char_boundary(text, start.saturating_sub(400).max(region.start));
    let ceil = ceil_char_boundary(text, (end + 400).min(region.end));
    let before = &text[floor..start];
    let sentence_start = before
        .match_indices(['.', '!', '?'])
        .filter(|(i, _)| before[i + 1..].starts_with(char::is_whitespace))
        .map(|(i, _)| floor + i + 1)
        .chain(before.rfind("\n\n").map(|i| floor + i + 2))
        .max()
        .unwrap_or(floor);
    let after = &text[end..ceil];
    let sentence_end = after
        .match_indices(['.', '!', '?'])
        .find(|(i, _)| after[i + 1..].is_empty() || after[i + 1..].starts_with(char::is_whitespace))
        .map(|(i, _)| end + i + 1)
        .into_iter()
        .chain(after.find("\n\n").map(|i| end + i))
        .min()
        .unwrap_or(ceil);
    sentence_start..sentence_end
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn context_allows(rule: &Rule, text: &str, region: &Region, start: usize, end: usize) -> bool {
    if rule.require_context.is_empty() && rule.except_context.is_empty() && rule.except_overlap.is_empty() {
        return true;
    }
    let window = context_window(text, region, start, end);
    let context = &text[window.clone()];
    if !rule.require_context.is_empty() && !rule.require_context.iter().any(|r| r.is_match(context)) {
        return false;
    }
    if rule.except_context.iter().any(|r| r.is_match(context)) {
        return false;
    }
    let (s, e) = (start - window.start, end - window.start);
    !rule.except_overlap.iter().any(|r| r.find_iter(context).any(|m| m.start() < e && s < m.end()))
}

/// `replacement` in the case of `matched` as prose: ALL CAPS stays all caps, a
/// capitalised original capitalises the replacement, anything else keeps the
/// replacement as written.
pub fn prose_styled(replacement: &str, matched: &str, plural: bool) -> String {
    let letters: Vec<char> = matched.chars().filter(|c| c.is_alphabetic()).collect();
    let mut out = if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        replacement.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut chars = replacement.chars();
        chars.next().map_or_else(String::new, |f| f.to_uppercase().chain(chars).collect())
    } else {
        replacement.to_owned()
    };
    if plural && !out.ends_with('s') {
        out.push('s');
    }
    out
}

/// `replacement` (a name) in the identifier style of `matched`: snake_case,
/// SCREAMING_SNAKE, kebab-case, camelCase or PascalCase.
pub fn identifier_styled(replacement: &str, matched: &str, plural: bool) -> String {
    let mut words: Vec<String> =
        replacement.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    if plural {
        if let Some(last) = words.last_mut() {
            if !last.ends_with('s') {
                last.push('s');
            }
        }
    }
    let letters: Vec<char> = matched.chars().filter(|c| c.is_alphabetic()).collect();
    let all_upper = letters.len() > 1 && letters.iter().all(|c| c.is_uppercase());
    let capitalise = |w: &str| {
        let mut chars = w.chars();
        chars.next().map_or_else(String::new, |f| f.to_uppercase().chain(chars).collect::<String>())
    };
    if all_upper {
        return words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join("_");
    }
    if matched.contains('-') {
        return words.join("-");
    }
    if matched.contains('_') || letters.iter().all(|c| c.is_lowercase()) {
        return words.join("_");
    }
    let pascal: String = words.iter().map(|w| capitalise(w)).collect();
    if letters.first().is_some_and(|c| c.is_uppercase()) {
        pascal
    } else {
        let mut chars = pascal.chars();
        chars.next().map_or_else(String::new, |f| f.to_lowercase().chain(chars).collect())
    }
}
