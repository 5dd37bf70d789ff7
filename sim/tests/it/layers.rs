//! The layers of `sim/src`, kept by a test in the style of rust-analyzer's
//! tidy tests: it reads the sources and fails on every path that runs from an
//! earlier layer to a later one, naming the file, the line, the path and the rule.
//!
//! The rule (ARCHITECTURE.md, "Layers"): `base` -> `scenario` -> `platform` ->
//! `engine` -> `tools`, each importing only the layers before it (and itself).
//! A path counts wherever it stands in code: a `use` tree (groups expanded), an
//! inline `crate::` path, or a `super::` path that climbs out of its layer.
//! Comments and string literals do not count; unit tests inside `sim/src` do.
//! Inside the crate a path names its layer (`crate::engine::world`), never a
//! re-export of the crate root, which is for other crates.

use std::path::{Path, PathBuf};

/// The layers, in order: each may import only the ones before it.
const LAYERS: [&str; 5] = ["base", "scenario", "platform", "engine", "tools"];

/// One path that breaks the rule.
#[derive(Debug, PartialEq, Eq)]
struct Breach {
    file: String,
    line: usize,
    path: String,
    message: String,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: `{}`: {}", self.file, self.line, self.path, self.message)
    }
}

/// `text` with every comment and the contents of every string and character
/// literal blanked (newlines kept, so lines still count).
pub(crate) fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let at = |k: usize| chars.get(k).copied();
        match chars[i] {
            '/' if at(i + 1) == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(' ');
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                let mut depth = 0;
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        out.push_str("  ");
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        out.push_str("  ");
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        out.push(blank(chars[i]));
                        i += 1;
                    }
                }
            }
            'r' if (at(i + 1) == Some('"') || at(i + 1) == Some('#'))
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) =>
            {
                // A raw string: r"..." or r#"..."#.
                let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                if chars.get(i + 1 + hashes) != Some(&'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                out.push('"');
                i += 2 + hashes;
                while i < chars.len() && !chars[i..].starts_with(&close) {
                    out.push(blank(chars[i]));
                    i += 1;
                }
                out.push('"');
                i += close.len();
            }
            '"' => {
                out.push('"');
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        out.push(' ');
                        i += 1;
                    }
                    if i < chars.len() {
                        out.push(blank(chars[i]));
                        i += 1;
                    }
                }
                out.push('"');
                i += 1;
            }
            // A character literal ('{', '\''), not a lifetime ('a).
            '\'' if at(i + 2) == Some('\'') || (at(i + 1) == Some('\\') && at(i + 3) == Some('\'')) => {
                let len = if at(i + 1) == Some('\\') { 4 } else { 3 };
                out.push_str(&" ".repeat(len));
                i += len;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A `use` tree expanded into its paths: `a::{b, c::{d as e}}` -> `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    // Tokens: `{`, `}`, `,`, and words (`a::b::`, `*`, `as`, a renamed name).
    let spaced = tree.replace('{', " { ").replace('}', " } ").replace(',', " , ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    fn parse(tokens: &[&str], i: &mut usize, prefix: &str, out: &mut Vec<String>) {
        let mut current = String::new();
        while *i < tokens.len() {
            let token = tokens[*i];
            *i += 1;
            match token {
                "{" => {
                    parse(tokens, i, &format!("{prefix}{current}"), out);
                    current.clear();
                }
                "}" => break,
                "," => {
                    if !current.is_empty() {
                        out.push(format!("{prefix}{current}"));
                    }
                    current.clear();
                }
                // `x as y`: the path is `x`.
                "as" => *i += 1,
                word => current.push_str(word),
            }
        }
        if !current.is_empty() {
            out.push(format!("{prefix}{current}"));
        }
    }
    let mut out = Vec::new();
    parse(&tokens, &mut 0, "", &mut out);
    out.into_iter().map(|p| p.trim_end_matches("::self").to_string()).collect()
}

/// Whether `word` stands at `at` in `code` as a word of its own.
fn word_at(code: &str, at: usize, word: &str) -> bool {
    code[at..].starts_with(word)
        && code[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
        && code[at + word.len()..].chars().next().is_some_and(|c| !(c.is_alphanumeric() || c == '_'))
}

/// The inline modules of `code` (`mod tests { ... }`): each one's name and the
/// byte range of its body.
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut modules = Vec::new();
    for (at, _) in code.match_indices("mod") {
        if !word_at(code, at, "mod") {
            continue;
        }
        let rest = &code[at + 3..];
        let name: String = rest.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = rest.trim_start()[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            if depth == 0 {
                modules.push((name.clone(), open..open + i));
                break;
            }
        }
    }
    modules
}

/// Every path in `code` that starts at `crate`, `super` or `self`, with the
/// byte offset it stands at: each path of every `use` tree, and every inline path.
fn paths(code: &str) -> Vec<(usize, String)> {
    let word_at = |at: usize, word: &str| word_at(code, at, word);
    let mut found = Vec::new();
    let mut in_use = Vec::new();
    for (at, _) in code.match_indices("use") {
        if !word_at(at, "use") {
            continue;
        }
        let Some(end) = code[at..].find(';') else { continue };
        let tree = &code[at + 3..at + end];
        in_use.push(at..at + end);
        for path in expand(tree) {
            if ["crate::", "super::", "self::"].iter().any(|root| path.starts_with(root)) {
                found.push((at, path));
            }
        }
    }
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            if !word_at(at, &root[..root.len() - 2]) || in_use.iter().any(|r| r.contains(&at)) {
                continue;
            }
            let len =
                code[at..].find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(code.len() - at);
            found.push((at, code[at..at + len].trim_end_matches(':').to_string()));
        }
    }
    found.sort();
    found
}

/// The module path of a file under `sim/src` (`platform/studio/api.rs` ->
/// `[platform, studio, api]`; a `mod.rs` is its folder).
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// The layer a path from `module` reaches, or the breach of naming none.
fn layer_reached(module: &[String], path: &str) -> Result<Option<String>, String> {
    let segments: Vec<&str> = path.split("::").collect();
    let absolute: Vec<String> = match segments.first() {
        Some(&"crate") => segments[1..].iter().map(|s| s.to_string()).collect(),
        Some(&"super") | Some(&"self") => {
            let mut here = module.to_vec();
            let mut rest = &segments[..];
            while let Some(first) = rest.first().filter(|s| **s == "super" || **s == "self") {
                if *first == "super" {
                    here.pop();
                }
                rest = &rest[1..];
            }
            here.extend(rest.iter().map(|s| s.to_string()));
            here
        }
        _ => return Ok(None),
    };
    match absolute.first() {
        None => Ok(None),
        Some(first) if LAYERS.contains(&first.as_str()) => Ok(Some(first.clone())),
        Some(first) => Err(format!(
            "`{first}` is not a layer: inside sim a path names its layer ({}), never a re-export of the crate root",
            LAYERS.join(", ")
        )),
    }
}

/// Every breach of the rule in one file of `sim/src`.
fn check_file(relative: &Path, text: &str) -> Vec<Breach> {
    let module = module_of(relative);
    let Some(layer) = module.first().and_then(|l| LAYERS.iter().position(|x| x == l)) else {
        return Vec::new();
    };
    let file = format!("sim/src/{}", relative.display());
    let code = code_only(text);
    let modules = inline_modules(&code);
    let mut breaches = Vec::new();
    for (at, path) in paths(&code) {
        let line = code[..at].matches('\n').count() + 1;
        let mut here = module.clone();
        here.extend(modules.iter().filter(|(_, body)| body.contains(&at)).map(|(name, _)| name.clone()));
        let message = match layer_reached(&here, &path) {
            Ok(Some(to)) => {
                let to_index = LAYERS.iter().position(|x| *x == to).unwrap_or(0);
                if to_index <= layer {
                    continue;
                }
                format!(
                    "the {} layer imports the {to} layer, which comes after it; each layer imports only the layers \
                     before it ({})",
                    LAYERS[layer],
                    LAYERS.join(" -> ")
                )
            }
            Ok(None) => continue,
            Err(message) => message,
        };
        breaches.push(Breach { file: file.clone(), line, path, message });
    }
    breaches
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

/// Every file of `sim/src`, relative to it, with its text.
fn sim_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    sources(&root, &root, &mut out);
    out
}

#[test]
fn each_layer_imports_only_the_layers_before_it() {
    let files = sim_sources();
    let breaches: Vec<String> =
        files.iter().flat_map(|(path, text)| check_file(path, text)).map(|b| b.to_string()).collect();
    assert!(breaches.is_empty(), "{} paths break the layering:\n{}", breaches.len(), breaches.join("\n"));
    // Not vacuous: every layer is there, and the walk read the crate.
    for layer in LAYERS {
        assert!(files.iter().any(|(p, _)| p.starts_with(layer)), "no files under sim/src/{layer}");
    }
}

#[test]
fn the_check_names_every_kind_of_path_that_breaks_the_rule() {
    let text = r#"//! `crate::tools::cli` in a comment is not an import.
use std::fmt;
use crate::base::clock;
use crate::{base::templates, engine::{outcome::Outcome, world}};
use super::super::super::tools::cli as command_line;

/* crate::engine::world, in a block comment */
fn f() -> &'static str {
    let _ = crate::tools::report::summary;
    "crate::engine::world in a string"
}

#[cfg(test)]
mod tests {
    use crate::engine::world::run;
}
"#;
    let found: Vec<(usize, String)> =
        check_file(Path::new("platform/studio/api.rs"), text).into_iter().map(|b| (b.line, b.path)).collect();
    assert_eq!(
        found,
        [
            (4, "crate::engine::outcome::Outcome".to_string()),
            (4, "crate::engine::world".to_string()),
            (5, "super::super::super::tools::cli".to_string()),
            (9, "crate::tools::report::summary".to_string()),
            (15, "crate::engine::world::run".to_string()),
        ]
    );
    let breach = &check_file(Path::new("platform/studio/api.rs"), text)[0];
    assert_eq!(breach.file, "sim/src/platform/studio/api.rs");
    assert!(breach.to_string().contains(
        "the platform layer imports the engine layer, which comes after it; each layer imports only the layers \
         before it (base -> scenario -> platform -> engine -> tools)"
    ));
    // A later layer may import an earlier one; a path that names no layer is refused.
    assert!(check_file(Path::new("tools/cli.rs"), "use crate::engine::world;\nuse super::report;\n").is_empty());
    let root = check_file(Path::new("engine/world.rs"), "use crate::Outcome;\n");
    assert_eq!(root.len(), 1);
    assert!(root[0].message.contains("`Outcome` is not a layer"), "{}", root[0]);
}
