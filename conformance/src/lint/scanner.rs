//! Splits a file into scoped regions: prose (Markdown text, comments, docstrings,
//! prompt files), identifiers in code, and string literals.
//!
//! Guarantees:
//! - regions never overlap and lie on UTF-8 character boundaries of the input;
//! - the scanner is total: any input (unterminated strings or comments included)
//!   yields regions without panicking;
//! - Markdown inline code spans and fenced code blocks are not prose (as in Vale):
//!   quoting a name is not using it as a word;
//! - an identifier is marked as a declaration where the code introduces it: after
//!   `let`/`fn`/`struct`/`enum`/`trait`/`type`/`const`/`static`/`mod`/`def`/`class`/
//!   `var`/`function`/`interface`/`func`, after `for` (a loop variable), as a field
//!   of a Rust struct, a variant of a Rust enum, or a parameter of a Rust `fn`, a
//!   Python `def` or a JavaScript `function`;
//! - in Rust, every name a pattern binds is a declaration too: in a `let` (`let
//!   (name, _) = ..`, `if let Some(name) = ..`), a `for` loop's pattern, a closure's
//!   parameters (`|name| ..`, `|(a, name)| ..`), a `match` arm (`Some(name) =>`,
//!   `Handoff { name, .. } =>`) and a `fn` parameter's pattern (`fn f((name, _): T)`);
//!   a pattern's paths, variants, constants, field names and type annotations are not.

use super::rule::Scope;

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Markdown,
    /// Plain text and prompt files: all prose.
    Prose,
    Rust,
    /// `//` and `/* */` comments, `"`/`'`/backtick strings (JS, TS, Go, Java, C...).
    CLike,
    Python,
    /// `#` comments; the rest of each line is data (YAML, TOML, shell, ini).
    HashConfig,
    /// Keys and values are strings; nothing else is read.
    Json,
}

impl Language {
    /// The language of a file by its name, `None` for files the lint does not read.
    pub fn of(rel_path: &str) -> Option<Language> {
        let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "dockerfile" | "makefile" | "justfile" | ".gitignore" | ".dockerignore") {
            return Some(Language::HashConfig);
        }
        let ext = match lower.rsplit_once('.') {
            Some((_, ext)) => ext,
            None => return None,
        };
        let in_prompts = rel_path.split('/').any(|seg| seg == "prompts");
        Some(match ext {
            "md" | "markdown" | "mdx" => Language::Markdown,
            "txt" | "prompt" | "rst" | "adoc" => Language::Prose,
            "rs" => Language::Rust,
            "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "go" | "java" | "kt" | "kts" | "c" | "h" | "cc" | "cpp"
            | "hpp" | "cs" | "swift" | "scala" | "proto" => Language::CLike,
            "py" | "pyi" => Language::Python,
            "yaml" | "yml" | "toml" | "sh" | "bash" | "zsh" | "ini" | "cfg" | "conf" | "env" => {
                if in_prompts {
                    Language::Prose
                } else {
                    Language::HashConfig
                }
            }
            "json" | "jsonl" | "ndjson" => Language::Json,
            _ => return None,
        })
    }
}

/// A scoped byte range of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub scope: Scope,
    pub start: usize,
    pub end: usize,
    /// For identifiers: the code declares this name here.
    pub declaration: bool,
}

/// Splits `text` into regions for `language`, in file order.
pub fn scan(language: Language, text: &str) -> Vec<Region> {
    match language {
        Language::Markdown => scan_markdown(text),
        Language::Prose => vec![region(Scope::Prose, 0, text.len())],
        Language::HashConfig => scan_hash_config(text),
        Language::Rust => CodeLexer::new(text, &RUST).run(),
        Language::CLike => CodeLexer::new(text, &C_LIKE).run(),
        Language::Python => CodeLexer::new(text, &PYTHON).run(),
        Language::Json => CodeLexer::new(text, &JSON).run(),
    }
}

fn region(scope: Scope, start: usize, end: usize) -> Region {
    Region { scope, start, end, declaration: false }
}

/// Lines with their byte offsets, without the line terminator.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, raw.trim_end_matches(['\n', '\r']))
    })
}

fn scan_markdown(text: &str) -> Vec<Region> {
    let mut out = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    for (start, line) in lines_with_offsets(text) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        if let (Some(c), true) = (fence_char, indent <= 3) {
            let run = trimmed.chars().take_while(|x| *x == c).count();
            if run >= 3 {
                match fence {
                    None => {
                        fence = Some((c, run));
                        continue;
                    }
                    Some((open, len)) if open == c && run >= len && trimmed[run..].trim().is_empty() => {
                        fence = None;
                        continue;
                    }
                    Some(_) => {}
                }
            }
        }
        if fence.is_some() {
            continue;
        }
        markdown_line_regions(line, start, &mut out);
    }
    out
}

/// Prose segments of one Markdown line: everything outside inline code spans.
fn markdown_line_regions(line: &str, base: usize, out: &mut Vec<Region>) {
    let bytes = line.as_bytes();
    let mut seg_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
        let mut j = i + run;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let r = bytes[j..].iter().take_while(|b| **b == b'`').count();
                if r == run {
                    close = Some(j + r);
                    break;
                }
                j += r;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                if seg_start < i {
                    out.push(region(Scope::Prose, base + seg_start, base + i));
                }
                seg_start = end;
                i = end;
            }
            None => i += run,
        }
    }
    if seg_start < line.len() {
        out.push(region(Scope::Prose, base + seg_start, base + line.len()));
    }
}

fn scan_hash_config(text: &str) -> Vec<Region> {
    let mut out = Vec::new();
    for (start, line) in lines_with_offsets(text) {
        let mut quote: Option<char> = None;
        let mut comment = None;
        let mut prev_space = true;
        for (i, c) in line.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '#' && prev_space => {
                    comment = Some(i);
                    break;
                }
                None => {}
            }
            prev_space = c.is_whitespace();
        }
        let data_end = comment.unwrap_or(line.len());
        if !line[..data_end].trim().is_empty() {
            out.push(region(Scope::String, start, start + data_end));
        }
        if let Some(c) = comment {
            out.push(region(Scope::Prose, start + c + 1, start + line.len()));
        }
    }
    out
}

/// The lexical shape of a code language.
struct CodeSyntax {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    nested_block_comments: bool,
    quotes: &'static [char],
    /// Python's `'''`/`"""`: read as docstrings (prose).
    triple_quotes: bool,
    rust: bool,
    identifiers: bool,
}

const RUST: CodeSyntax = CodeSyntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    nested_block_comments: true,
    quotes: &['"'],
    triple_quotes: false,
    rust: true,
    identifiers: true,
};
const C_LIKE: CodeSyntax = CodeSyntax {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    nested_block_comments: false,
    quotes: &['"', '\'', '`'],
    triple_quotes: false,
    rust: false,
    identifiers: true,
};
const PYTHON: CodeSyntax = CodeSyntax {
    line_comments: &["#"],
    block_comment: None,
    nested_block_comments: false,
    quotes: &['"', '\''],
    triple_quotes: true,
    rust: false,
    identifiers: true,
};
const JSON: CodeSyntax = CodeSyntax {
    line_comments: &[],
    block_comment: None,
    nested_block_comments: false,
    quotes: &['"'],
    triple_quotes: false,
    rust: false,
    identifiers: false,
};

const DECLARATION_KEYWORDS: &[&str] = &[
    "let",
    "fn",
    "struct",
    "enum",
    "trait",
    "type",
    "const",
    "static",
    "mod",
    "union",
    "def",
    "class",
    "var",
    "function",
    "interface",
    "func",
];

/// What the innermost open bracket encloses, for Rust declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enclosing {
    StructBody,
    EnumBody,
    FnParams,
    /// The arms of a Rust `match`.
    MatchArms,
    Other,
}

/// Where a Rust pattern stands, which decides what ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternSite {
    /// `let PAT =`, `let PAT: T =`, `let PAT;` (also `if let`, `while let`).
    Let,
    /// `for PAT in`.
    For,
    /// `|PAT, PAT: T| ..`.
    ClosureParams,
    /// `fn f(PAT: T, PAT: T)`.
    FnParams,
    /// `PAT =>`, `PAT if guard =>`.
    MatchArm,
}

/// A Rust pattern being read: the names it binds are declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pattern {
    site: PatternSite,
    /// How many brackets are open where it begins; inside it, deeper ones may be open.
    depth: usize,
    /// A type annotation (`: T`) is being read, not the pattern.
    in_type: bool,
    /// Open `<` of the type annotation (its `,` do not end it).
    angles: usize,
}

/// Rust keywords that may stand in a pattern or next to one, never bound by it.
const RUST_PATTERN_KEYWORDS: &[&str] = &[
    "_", "mut", "ref", "box", "if", "in", "as", "true", "false", "self", "Self", "crate", "super", "move", "else",
    "match", "let", "dyn", "impl", "where", "return", "async", "await", "unsafe", "const", "static", "for",
];

/// A keyword seen whose body has not opened yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingItem {
    Struct,
    Enum,
    Fn,
}

/// The last significant token, for declaration detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous<'a> {
    Nothing,
    Word(&'a str),
    Punct(char),
}

struct CodeLexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    syntax: &'a CodeSyntax,
    pos: usize,
    out: Vec<Region>,
    previous: Previous<'a>,
    before_previous: Previous<'a>,
    stack: Vec<Enclosing>,
    pending: Option<PendingItem>,
    /// The Rust pattern being read, if any.
    pattern: Option<Pattern>,
    /// A `match` was seen at this bracket depth and its arms have not opened yet.
    pending_match: Option<usize>,
    /// Inside an `impl` header (its `for` names a type, not a loop).
    impl_header: bool,
}

impl<'a> CodeLexer<'a> {
    fn new(text: &'a str, syntax: &'a CodeSyntax) -> Self {
        CodeLexer {
            text,
            bytes: text.as_bytes(),
            syntax,
            pos: 0,
            out: Vec::new(),
            previous: Previous::Nothing,
            before_previous: Previous::Nothing,
            stack: Vec::new(),
            pending: None,
            pattern: None,
            pending_match: None,
            impl_header: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn remember(&mut self, p: Previous<'a>) {
        self.before_previous = self.previous;
        self.previous = p;
    }

    fn run(mut self) -> Vec<Region> {
        while self.pos < self.bytes.len() {
            let rest = self.rest();
            if let Some(lc) = self.syntax.line_comments.iter().find(|lc| rest.starts_with(**lc)) {
                let start = self.pos + lc.len();
                let end = rest.find('\n').map_or(self.text.len(), |i| self.pos + i);
                self.comment(start, end);
                self.pos = end;
                continue;
            }
            if let Some((open, close)) = self.syntax.block_comment {
                if rest.starts_with(open) {
                    self.block_comment(open, close);
                    continue;
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            if self.syntax.triple_quotes && (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
                let delim = &rest[..3];
                let before = self.out.len();
                self.string_until(3, delim, Scope::Prose);
                // a docstring is prose: read it like a comment
                if let Some(doc) = self.out.pop().filter(|_| self.out.len() == before) {
                    self.comment(doc.start, doc.end);
                }
                continue;
            }
            if self.syntax.rust && c == '\'' {
                self.rust_quote();
                continue;
            }
            if self.syntax.quotes.contains(&c) {
                let mut buf = [0u8; 4];
                let delim: &str = c.encode_utf8(&mut buf);
                let delim = delim.to_owned();
                self.escaped_string(&delim);
                continue;
            }
            if c.is_ascii_digit() {
                let len = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.')).unwrap_or(rest.len());
                self.pos += len.max(1);
                self.remember(Previous::Punct('0'));
                continue;
            }
            if c.is_alphabetic() || c == '_' {
                self.identifier();
                continue;
            }
            self.pos += c.len_utf8();
            if !c.is_whitespace() {
                self.punct(c);
            }
        }
        self.out
    }

    fn block_comment(&mut self, open: &str, close: &str) {
        let start = self.pos + open.len();
        let mut depth = 1usize;
        let mut i = start;
        while i < self.bytes.len() && depth > 0 {
            let r = &self.text[i..];
            if r.starts_with(close) {
                depth -= 1;
                i += close.len();
            } else if self.syntax.nested_block_comments && r.starts_with(open) {
                depth += 1;
                i += open.len();
            } else {
                i += r.chars().next().map_or(1, char::len_utf8);
            }
        }
        let end = if depth == 0 { i - close.len() } else { self.text.len() };
        self.comment(start, end.max(start));
        self.pos = i.min(self.text.len());
    }

    /// A comment is prose, read like Markdown: inline code spans quote names and are
    /// not prose.
    fn comment(&mut self, start: usize, end: usize) {
        for (offset, line) in lines_with_offsets(&self.text[start..end]) {
            markdown_line_regions(line, start + offset, &mut self.out);
        }
    }

    /// A string with backslash escapes closed by `delim`.
    fn escaped_string(&mut self, delim: &str) {
        let start = self.pos + delim.len();
        let mut i = start;
        while i < self.bytes.len() {
            let r = &self.text[i..];
            if r.starts_with('\\') {
                i += 1;
                i += self.text[i..].chars().next().map_or(0, char::len_utf8);
            } else if r.starts_with(delim) {
                self.out.push(region(Scope::String, start, i));
                self.pos = i + delim.len();
                self.remember(Previous::Punct('"'));
                return;
            } else {
                i += r.chars().next().map_or(1, char::len_utf8);
            }
        }
        self.out.push(region(Scope::String, start, self.text.len()));
        self.pos = self.text.len();
    }

    /// A string without escapes (raw string, docstring) closed by `delim`.
    fn string_until(&mut self, open_len: usize, delim: &str, scope: Scope) {
        let start = self.pos + open_len;
        let end = self.text[start..].find(delim).map_or(self.text.len(), |i| start + i);
        self.out.push(region(scope, start, end));
        self.pos = (end + delim.len()).min(self.text.len());
        self.remember(Previous::Punct('"'));
    }

    /// Rust `'`: a char literal or a lifetime/label.
    fn rust_quote(&mut self) {
        let rest = &self.rest()[1..];
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, '\\')) => {
                // escaped char literal: skip to the closing quote
                let end = rest[1..].find('\'').map_or(self.text.len(), |i| self.pos + 1 + 1 + i + 1);
                self.pos = end.min(self.text.len());
            }
            Some((_, c)) => {
                let after = 1 + c.len_utf8();
                if self.rest()[after..].starts_with('\'') {
                    self.pos += after + 1;
                } else {
                    // lifetime or label: skip the name, it is not a new identifier
                    self.pos += 1;
                    let len =
                        self.rest().find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(self.rest().len());
                    self.pos += len;
                }
            }
            None => self.pos += 1,
        }
        self.remember(Previous::Punct('\''));
    }

    fn identifier(&mut self) {
        let rest = self.rest();
        let len = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(rest.len());
        let word = &rest[..len];
        let start = self.pos;
        let after = &rest[len..];
        if self.syntax.rust {
            // raw strings r"..", r#".."#, br"..", cr"..", and raw identifiers r#name
            if matches!(word, "r" | "br" | "cr") {
                let hashes = after.chars().take_while(|c| *c == '#').count();
                if after[hashes..].starts_with('"') {
                    let mut delim = String::from("\"");
                    delim.push_str(&"#".repeat(hashes));
                    self.pos += len;
                    self.string_until(hashes + 1, &delim, Scope::String);
                    return;
                }
                if word == "r" && hashes == 1 && after[1..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    self.pos += len + 1;
                    self.identifier();
                    return;
                }
            }
            if matches!(word, "b" | "c") && after.starts_with('"') {
                self.pos += len;
                self.escaped_string("\"");
                return;
            }
            if word == "b" && after.starts_with('\'') {
                self.pos += len;
                self.rust_quote();
                return;
            }
        }
        self.pos += len;
        if !self.syntax.identifiers {
            return;
        }
        let declaration = self.is_declaration(after) || self.binds(word, start, after);
        if self.syntax.rust {
            self.pattern_word(word, after);
        }
        if DECLARATION_KEYWORDS.contains(&word) {
            self.pending = match word {
                "struct" | "union" => Some(PendingItem::Struct),
                "enum" => Some(PendingItem::Enum),
                "fn" | "def" | "function" => Some(PendingItem::Fn),
                _ => self.pending,
            };
        } else {
            self.out.push(Region { scope: Scope::Identifier, start, end: start + len, declaration });
        }
        self.remember(Previous::Word(word));
    }

    fn is_declaration(&self, after: &str) -> bool {
        match self.previous {
            Previous::Word(w) if DECLARATION_KEYWORDS.contains(&w) => return true,
            Previous::Word("mut") if self.before_previous == Previous::Word("let") => return true,
            // a loop variable: `for name in ...`
            Previous::Word("for") => {
                return after.trim_start().strip_prefix("in").is_some_and(|rest| rest.starts_with(char::is_whitespace))
            }
            _ => {}
        }
        let after = after.trim_start();
        let single_colon = after.starts_with(':') && !after.starts_with("::");
        let opens_item =
            matches!(self.previous, Previous::Punct('{' | '(' | ',' | ']' | ')') | Previous::Word("pub" | "mut"));
        match self.stack.last() {
            // Python and JavaScript parameters: `def f(name, other=1)`, `function f(name)`
            Some(Enclosing::FnParams) if !self.syntax.rust => {
                matches!(self.previous, Previous::Punct('(' | ',' | '*'))
                    && (after.is_empty() || after.starts_with([',', ')', '=', ':']))
            }
            Some(Enclosing::StructBody | Enclosing::FnParams) => single_colon && opens_item,
            Some(Enclosing::EnumBody) => {
                matches!(self.previous, Previous::Punct('{' | ',' | ']')) && !after.starts_with("::")
            }
            _ => false,
        }
    }

    /// Whether `word` (at `start`, followed by `after`) is a name the Rust
    /// pattern being read binds: not a keyword, a path segment, a variant, a
    /// constant, a struct pattern's field name or part of a type annotation.
    fn binds(&self, word: &str, start: usize, after: &str) -> bool {
        let Some(pattern) = self.pattern.filter(|p| !p.in_type && self.stack.len() >= p.depth) else {
            return false;
        };
        if RUST_PATTERN_KEYWORDS.contains(&word) || !word.starts_with(|c: char| c.is_lowercase() || c == '_') {
            return false;
        }
        let after = after.trim_start();
        if after.starts_with("::") || after.starts_with(['(', '{', '!', '.', '<']) {
            return false;
        }
        let before = self.text[..start].trim_end();
        if before.ends_with("::") || before.ends_with('.') {
            return false;
        }
        // `name: T` at the pattern's own depth annotates a binding; deeper, in
        // `Handoff { field: name }`, it names a field.
        !after.starts_with(':') || (self.stack.len() == pattern.depth && pattern.site != PatternSite::MatchArm)
    }

    fn begin_pattern(&mut self, site: PatternSite) {
        self.pattern = Some(Pattern { site, depth: self.stack.len(), in_type: false, angles: 0 });
    }

    /// The pattern being read, if it stands at the current bracket depth.
    fn pattern_here(&self) -> Option<PatternSite> {
        self.pattern.filter(|p| p.depth == self.stack.len()).map(|p| p.site)
    }

    /// A Rust keyword that begins or ends a pattern.
    fn pattern_word(&mut self, word: &str, after: &str) {
        let here = self.pattern_here();
        match word {
            "let" => self.begin_pattern(PatternSite::Let),
            "for" if !self.impl_header && !after.trim_start().starts_with('<') => self.begin_pattern(PatternSite::For),
            "in" if here == Some(PatternSite::For) => self.pattern = None,
            "if" if here == Some(PatternSite::MatchArm) => self.pattern = None,
            // `PAT => if c { a } else { b }`: the `}` before `else` ended no arm.
            "else" if matches!(here, Some(PatternSite::MatchArm | PatternSite::Let)) => self.pattern = None,
            "match" => self.pending_match = Some(self.stack.len()),
            "impl" => self.impl_header = true,
            _ => {}
        }
    }

    /// A Rust punctuation mark that begins, ends or steers a pattern, after the
    /// bracket stack took it.
    fn pattern_punct(&mut self, c: char) {
        let next = self.text[self.pos..].chars().next();
        let before = self.text[..self.pos - c.len_utf8()].chars().next_back();
        if self.pattern.is_some_and(|p| self.stack.len() < p.depth) {
            self.pattern = None;
        }
        let here = self.pattern_here();
        let single = |mark: char| next != Some(mark) && before != Some(mark);
        match c {
            '{' | '}' | ',' if self.stack.last() == Some(&Enclosing::MatchArms) && here.is_none() => {
                self.begin_pattern(PatternSite::MatchArm)
            }
            '(' if self.stack.last() == Some(&Enclosing::FnParams) && here.is_none() => {
                self.begin_pattern(PatternSite::FnParams)
            }
            '{' if self.impl_header => self.impl_header = false,
            ';' => {
                self.impl_header = false;
                self.pending_match = None;
                if here.is_some() {
                    self.pattern = None;
                }
            }
            ':' if single(':') => {
                if let (Some(PatternSite::Let | PatternSite::ClosureParams | PatternSite::FnParams), Some(p)) =
                    (here, self.pattern.as_mut())
                {
                    p.in_type = true;
                }
            }
            ',' if matches!(here, Some(PatternSite::ClosureParams | PatternSite::FnParams)) => {
                if let Some(p) = self.pattern.as_mut().filter(|p| p.angles == 0) {
                    p.in_type = false;
                }
            }
            '<' | '>' if self.pattern.is_some_and(|p| p.in_type) && !matches!(before, Some('-' | '=')) => {
                if let Some(p) = self.pattern.as_mut() {
                    p.angles = if c == '<' { p.angles + 1 } else { p.angles.saturating_sub(1) };
                }
            }
            '=' if here == Some(PatternSite::MatchArm) && next == Some('>') => self.pattern = None,
            '=' if here == Some(PatternSite::Let)
                && !matches!(next, Some('=' | '>'))
                && !matches!(before, Some('=' | '!' | '<' | '>' | '.')) =>
            {
                self.pattern = None
            }
            '|' if here == Some(PatternSite::ClosureParams) => self.pattern = None,
            '|' if self.pattern.is_none_or(|p| p.in_type) && self.opens_closure() => {
                self.begin_pattern(PatternSite::ClosureParams)
            }
            _ => {}
        }
    }

    /// Whether the `|` just read opens a closure's parameters (not a bitwise or
    /// logical or): it follows an opening bracket, a separator, an assignment,
    /// `=>`, `&`, `move` or `return`.
    fn opens_closure(&self) -> bool {
        let before = self.text[..self.pos - 1].trim_end();
        before.is_empty()
            || before.ends_with(['(', '[', '{', ',', ';', '=', '&'])
            || (before.ends_with(':') && !before.ends_with("::"))
            || before.ends_with("=>")
            || matches!(self.previous, Previous::Word("move" | "return"))
    }

    fn punct(&mut self, c: char) {
        match c {
            '{' => {
                let inside = match self.pending.take() {
                    Some(PendingItem::Struct) => Enclosing::StructBody,
                    Some(PendingItem::Enum) => Enclosing::EnumBody,
                    _ if self.stack.last() == Some(&Enclosing::EnumBody) => Enclosing::StructBody,
                    _ if self.syntax.rust && self.pending_match == Some(self.stack.len()) => {
                        self.pending_match = None;
                        Enclosing::MatchArms
                    }
                    _ => Enclosing::Other,
                };
                self.stack.push(inside);
            }
            '(' => {
                let inside = match self.pending.take() {
                    Some(PendingItem::Fn) => Enclosing::FnParams,
                    _ => Enclosing::Other,
                };
                self.stack.push(inside);
            }
            '[' => self.stack.push(Enclosing::Other),
            '}' | ')' | ']' => {
                self.stack.pop();
            }
            ';' => self.pending = None,
            _ => {}
        }
        if self.syntax.rust {
            self.pattern_punct(c);
        }
        self.remember(Previous::Punct(c));
    }
}
