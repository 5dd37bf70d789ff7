//! The docs kept true by tests: ARCHITECTURE.md names every folder and module
//! of `sim/src` and the crates' top modules; the scenario reference
//! (`scenarios/README.md`) names every field and value of the scenario JSON
//! Schema; every `docs/...` page the code cites exists, and so does every
//! anchor a citation or a Markdown link points at; and every passage the code
//! quotes from a docs page is in that page.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir` (sorted), skipping nothing.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// `path` relative to `base`, with `/` separators.
fn relative(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).expect("a path under its base");
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The Markdown's code: every inline code span and every fenced block, one
/// string each.
fn code_of(markdown: &str) -> Vec<String> {
    let mut code = Vec::new();
    let mut prose = String::new();
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let fenced = line.trim_start().starts_with("```");
        match (&mut fence, fenced) {
            (None, true) => fence = Some(String::new()),
            (Some(block), true) => {
                code.push(std::mem::take(block));
                fence = None;
            }
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    code.extend(prose.split('`').skip(1).step_by(2).map(str::to_string));
    code
}

/// Whether `word` stands in `text` on its own: not inside a longer name
/// (letters, digits, `_` or `-` on either side).
fn has_word(text: &str, word: &str) -> bool {
    let name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(name_char) && !after.is_some_and(name_char)
    })
}

/// The modules and folders of a crate's `src` that ARCHITECTURE.md must name:
/// every folder and every module file (not `mod.rs`, `lib.rs`, `main.rs`),
/// all of them under `sim/src`, the top level only elsewhere.
fn modules(src: &Path, every_level: bool) -> Vec<(String, String)> {
    let mut named = BTreeSet::new();
    for file in files_under(src) {
        let rel = relative(&file, src);
        let parts: Vec<&str> = rel.split('/').collect();
        let depth = if every_level { parts.len() } else { 1 };
        for (i, part) in parts.iter().enumerate().take(depth) {
            let is_file = i + 1 == parts.len();
            let name = if is_file { part.trim_end_matches(".rs").to_string() } else { format!("{part}/") };
            if is_file && (["mod", "lib", "main"].contains(&name.as_str()) || !part.ends_with(".rs")) {
                continue;
            }
            named.insert((parts[..=i].join("/"), name));
        }
    }
    named.into_iter().collect()
}

/// Whether ARCHITECTURE.md's code names `name` (a module `clock` or a folder
/// `studio/`): a code span that is it, or a path that ends with it.
fn architecture_names(code: &[String], name: &str) -> bool {
    let bare = name.trim_end_matches('/');
    code.iter().any(|span| {
        let span = span.trim();
        span == name
            || span == bare
            || span.ends_with(&format!("/{name}"))
            || span.ends_with(&format!("/{bare}"))
            || span.ends_with(&format!("::{bare}"))
    })
}

#[test]
fn architecture_names_every_folder_and_module_under_sim_src_and_every_crates_top_modules() {
    let architecture = read(&repo().join("ARCHITECTURE.md"));
    let code = code_of(&architecture);
    let mut missing = Vec::new();
    for (krate, every_level) in [("sim", true), ("fakes", false), ("conformance", false)] {
        let src = repo().join(krate).join("src");
        for (path, name) in modules(&src, every_level) {
            if !architecture_names(&code, &name) {
                missing.push(format!("{krate}/src/{path} (as `{name}`)"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map must name every folder and module under sim/src and each crate's top \
         modules, in a code span; missing:\n  {}",
        missing.join("\n  ")
    );
}

/// Every property name and every string value an `enum` or `const` admits,
/// anywhere in a JSON Schema.
fn schema_words(schema: &serde_json::Value, properties: &mut BTreeSet<String>, values: &mut BTreeSet<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                properties.extend(props.keys().cloned());
            }
            if let Some(serde_json::Value::Array(admitted)) = map.get("enum") {
                values.extend(admitted.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
            if let Some(serde_json::Value::String(admitted)) = map.get("const") {
                values.insert(admitted.clone());
            }
            map.values().for_each(|v| schema_words(v, properties, values));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_words(v, properties, values)),
        _ => {}
    }
}

#[test]
fn the_scenario_reference_names_every_field_and_value_of_the_scenario_schema() {
    // scenarios/scenario.schema.json is what `squadsim schema` prints (the
    // scenarios module's test keeps the file current).
    let schema_path = repo().join("scenarios/scenario.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&read(&schema_path)).expect("the schema is JSON");
    let (mut properties, mut values) = (BTreeSet::new(), BTreeSet::new());
    schema_words(&schema, &mut properties, &mut values);
    assert!(properties.len() > 50, "too few fields found in {}: {properties:?}", schema_path.display());

    let reference = read(&repo().join("scenarios/README.md"));
    let code = code_of(&reference).join("\n");
    let missing: Vec<String> = properties
        .iter()
        .map(|p| format!("field `{p}`"))
        .zip(properties.iter())
        .chain(values.iter().map(|v| format!("value `{v}`")).zip(values.iter()))
        .filter(|(_, word)| !has_word(&code, word))
        .map(|(what, _)| what)
        .collect();
    assert!(
        missing.is_empty(),
        "scenarios/README.md (the scenario reference) must name, in code, every field and value of the \
         scenario JSON Schema; missing:\n  {}",
        missing.join("\n  ")
    );
}

/// The anchors a Markdown page has: `<a id="...">` and its headings' GitHub slugs.
fn anchors_of(markdown: &str) -> BTreeSet<String> {
    let mut anchors: BTreeSet<String> =
        markdown.split("id=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_string).collect();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim().to_lowercase();
        let slug: String = title
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        anchors.insert(slug);
    }
    anchors
}

/// Checks that `link` (`page.md` or `page.md#anchor`, relative to `from_dir`)
/// exists and has its anchor; what is wrong otherwise.
fn broken(link: &str, from_dir: &Path) -> Option<String> {
    let (page, anchor) = match link.split_once('#') {
        Some((page, anchor)) => (page, Some(anchor)),
        None => (link, None),
    };
    let path = from_dir.join(page);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Some(format!("{page} does not exist"));
    };
    match anchor {
        Some(anchor) if page.ends_with(".md") && !anchors_of(&text).contains(anchor) => {
            Some(format!("{page} has no anchor #{anchor}"))
        }
        _ => None,
    }
}

/// The `docs/<page>.md[#anchor]` paths in `text`.
fn docs_citations(text: &str) -> Vec<String> {
    text.match_indices("docs/")
        .filter(|(at, _)| !text[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '/' || c == '.'))
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '#'))
                .collect::<String>()
                .trim_end_matches('.')
                .to_string()
        })
        .filter(|cited| cited.contains(".md"))
        .collect()
}

#[test]
fn every_docs_page_and_anchor_the_code_cites_exists() {
    let root = repo();
    let mut cited = 0;
    let mut problems = Vec::new();
    for dir in [
        "sim/src",
        "sim/tests",
        "fakes/src",
        "fakes/tests",
        "conformance/src",
        "conformance/tests",
        "benches",
        "scenarios",
    ] {
        for file in files_under(&root.join(dir)) {
            let comment_marker = match file.extension().and_then(|e| e.to_str()) {
                Some("rs") => "//",
                Some("yaml") => "#",
                _ => continue,
            };
            for (n, line) in read(&file).lines().enumerate() {
                // Citations live in comments; test fixtures name made-up docs/ paths in strings.
                let Some((_, comment)) = line.split_once(comment_marker) else { continue };
                for citation in docs_citations(comment) {
                    cited += 1;
                    if let Some(problem) = broken(&citation, &root) {
                        problems.push(format!("{}:{}: `{citation}`: {problem}", relative(&file, &root), n + 1));
                    }
                }
            }
        }
    }
    assert!(cited >= 5, "too few docs/ citations found ({cited}): is the scan reading the code?");
    assert!(problems.is_empty(), "the code cites docs that do not exist:\n  {}", problems.join("\n  "));
}

#[test]
fn every_relative_link_in_the_docs_reaches_a_page_and_anchor_that_exist() {
    let root = repo();
    let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md"), root.join("scenarios/README.md")];
    pages.extend(files_under(&root.join("docs")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")));
    let mut links = 0;
    let mut problems = Vec::new();
    for page in pages {
        let text = read(&page);
        let dir = page.parent().expect("a page in a folder");
        for link in text.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
            if link.contains("://") {
                continue;
            }
            links += 1;
            let problem = match link.strip_prefix('#') {
                Some(anchor) => (!anchors_of(&text).contains(anchor)).then(|| format!("no anchor #{anchor}")),
                None => broken(link, dir),
            };
            if let Some(problem) = problem {
                problems.push(format!("{}: ({link}): {problem}", relative(&page, &root)));
            }
        }
    }
    assert!(links > 10, "too few links found ({links})");
    assert!(problems.is_empty(), "broken links in the docs:\n  {}", problems.join("\n  "));
}

#[test]
fn the_doc_helpers_find_what_they_look_for() {
    assert_eq!(
        code_of("a `b` c\n```yaml\nd: e\n```\n`f`"),
        vec!["d: e\n".to_string(), "b".to_string(), "f".to_string()]
    );
    assert!(has_word("world.storage.not_ready", "not_ready"));
    assert!(!has_word("world.storage.not_ready_yet", "not_ready"));
    let anchors = anchors_of("# Exit statuses\n<a id=\"runbook-api\"></a>\n## The one principle: outcomes emerge\n");
    assert!(anchors.contains("exit-statuses") && anchors.contains("runbook-api"), "{anchors:?}");
    assert!(anchors.contains("the-one-principle-outcomes-emerge"), "{anchors:?}");
    assert_eq!(
        docs_citations("(`docs/seeds.md#runbook-api`, docs/design.md.) mydocs/x.md"),
        ["docs/seeds.md#runbook-api", "docs/design.md"]
    );
}

/// `text` as a quote is compared: lower case, code marks and block-quote marks
/// dropped, runs of whitespace as one space.
fn normalized(text: &str) -> String {
    let text = text.replace('`', "").replace("\n> ", "\n").to_lowercase();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_passage_the_code_quotes_from_a_docs_page_is_in_that_page() {
    // A comment that cites `docs/<page>.md` and then quotes ("...") on the
    // same line quotes that page: a section's name or the seed's own words.
    // Each fragment between cuts ([...] or ...) of two words or more must be
    // in the page. Quotes that run onto the next line are not checked.
    let root = repo();
    let mut quoted = 0;
    let mut problems = Vec::new();
    for dir in ["sim/src", "sim/tests", "fakes/src", "fakes/tests", "conformance/src", "conformance/tests"] {
        for file in files_under(&root.join(dir)).into_iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
            for (n, line) in read(&file).lines().enumerate() {
                let Some((_, comment)) = line.split_once("//") else { continue };
                let Some(citation) = docs_citations(comment).into_iter().next() else { continue };
                let page = citation.split('#').next().expect("a page");
                let Ok(text) = std::fs::read_to_string(root.join(page)) else { continue };
                let text = normalized(&text);
                let after = &comment[comment.find(page).expect("the citation is in the comment") + page.len()..];
                let pieces: Vec<&str> = after.split('"').collect();
                // Odd pieces are quoted; the last one is open when the line ends inside a quote.
                let closed = pieces.len().saturating_sub(1);
                for quote in pieces[..closed].iter().skip(1).step_by(2) {
                    for fragment in quote.split("[...]").flat_map(|f| f.split("...")) {
                        let fragment = normalized(fragment);
                        let fragment = fragment.trim_matches(|c: char| " .,:;".contains(c));
                        if fragment.split(' ').count() < 2 {
                            continue;
                        }
                        quoted += 1;
                        if !text.contains(fragment) {
                            problems.push(format!("{}:{}: {page} lacks \"{fragment}\"", relative(&file, &root), n + 1));
                        }
                    }
                }
            }
        }
    }
    assert!(quoted >= 5, "too few quotes found ({quoted})");
    assert!(problems.is_empty(), "the code quotes passages its docs page does not hold:\n  {}", problems.join("\n  "));
}
