//! The sandbox's shell: a built-in, deterministic interpreter of the common
//! commands a client runs through the toolbox's process API, over the same
//! files the file API serves ([`SandboxFs`]).
//!
//! What it runs: `echo` (`-n`), `pwd`, `cd`, `ls` (`-a`, `-l`, `-1`), `cat`,
//! `mkdir` (`-p`), `touch`, `rm` (`-r`, `-f`), `mv`, `cp` (`-r`), `env`,
//! `export`, `true`, `false`, `exit N`, `test` and `[`, and `git` (`status`,
//! `add`, `commit -m`, `branch`, `checkout [-b]`, `rev-parse --abbrev-ref HEAD`)
//! through the fake's checkouts; joined by `&&`, `||`, `;` and `|`, with
//! `>`, `>>`, `<` and `2>&1` redirections, single and double quotes, `\`
//! escapes and `$VAR`, `${VAR}`, `$?` expansion.
//!
//! Guarantees:
//! - a line whose every command is one of those runs here, reading no clock and
//!   no randomness: the same line on the same files gives the same output;
//! - a line naming any other program is not run here ([`Line::parse`] answers
//!   [`Parsed::External`]) but by the sandbox's installed programs (the
//!   launcher), which answer 127 `sh: 1: <program>: not found` for one they lack;
//! - errors read as dash and coreutils print them (`cat: x: No such file or
//!   directory`, exit 1; `sh: 1: cd: can't cd to x`, exit 2); a write under a
//!   read-only folder fails with `Permission denied` and changes nothing;
//! - output (stdout and stderr, in order) is bounded: past [`MAX_OUTPUT`] bytes a
//!   command's output is cut.

use std::collections::BTreeMap;

use super::workspace_fs::{normalize, parent, SandboxFs};

/// The most bytes of output one line keeps.
pub(crate) const MAX_OUTPUT: usize = 1 << 20;

const BUILTINS: &[&str] = &[
    "echo", "pwd", "cd", "ls", "cat", "mkdir", "touch", "rm", "mv", "cp", "env", "export", "true", "false", "exit",
    "test", "[", "git",
];

/// A shell's state between lines: its working folder and exported variables
/// (a session keeps one across its commands).
#[derive(Debug, Clone)]
pub(crate) struct ShellState {
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub last_status: i32,
}

impl ShellState {
    pub(crate) fn new(cwd: &str, env: BTreeMap<String, String>) -> Self {
        ShellState { cwd: normalize(cwd), env, last_status: 0 }
    }
}

/// How two pipelines are joined.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Join {
    Then,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Redirect {
    Out { path: String, append: bool },
    In(String),
    ErrToOut,
    ErrTo(String),
}

#[derive(Debug, Clone, Default)]
struct Simple {
    words: Vec<String>,
    redirects: Vec<Redirect>,
}

/// A parsed command line: pipelines and how each is joined to the one before.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pipelines: Vec<(Join, Vec<Simple>)>,
}

/// What [`Line::parse`] found.
pub(crate) enum Parsed {
    /// Every command is built in: run it with [`Line::run`].
    Builtin(Line),
    /// The line names a program the interpreter does not have.
    External,
    /// Not a line a shell accepts (an unclosed quote, a dangling operator).
    SyntaxError(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Op(&'static str),
}

/// Splits a line into words and operators, expanding variables outside single quotes.
fn tokenize(line: &str, state: &ShellState) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    let expand = |chars: &[char], i: &mut usize, out: &mut String| {
        // At `$`: `$?`, `${NAME}` or `$NAME`; a lone `$` stays.
        let rest = &chars[*i + 1..];
        if rest.first() == Some(&'?') {
            out.push_str(&state.last_status.to_string());
            *i += 2;
        } else if rest.first() == Some(&'{') {
            let end = rest.iter().position(|&c| c == '}');
            match end {
                Some(end) => {
                    let name: String = rest[1..end].iter().collect();
                    out.push_str(state.env.get(&name).map_or("", String::as_str));
                    *i += end + 2;
                }
                None => {
                    out.push('$');
                    *i += 1;
                }
            }
        } else {
            let len = rest.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').count();
            if len == 0 {
                out.push('$');
                *i += 1;
            } else {
                let name: String = rest[..len].iter().collect();
                out.push_str(state.env.get(&name).map_or("", String::as_str));
                *i += len + 1;
            }
        }
    };
    let flush = |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => {
                flush(&mut tokens, &mut word, &mut in_word);
                i += 1;
            }
            '\'' => {
                let end =
                    chars[i + 1..].iter().position(|&c| c == '\'').ok_or("Syntax error: Unterminated quoted string")?;
                word.extend(&chars[i + 1..i + 1 + end]);
                in_word = true;
                i += end + 2;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("Syntax error: Unterminated quoted string".into()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$')) => {
                            word.push(chars[i + 1]);
                            i += 2;
                        }
                        Some('$') => expand(&chars, &mut i, &mut word),
                        Some(&c) => {
                            word.push(c);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    word.push(next);
                }
                in_word = true;
                i += 2;
            }
            '$' => {
                expand(&chars, &mut i, &mut word);
                in_word = true;
            }
            '&' | '|' | ';' | '>' | '<' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let four: String = chars[i..(i + 4).min(chars.len())].iter().collect();
                // `2>&1` and `2>` bind to a preceding word `2`.
                if c == '>' && word == "2" && in_word {
                    word.clear();
                    in_word = false;
                    if two == ">&" && chars.get(i + 2) == Some(&'1') {
                        tokens.push(Token::Op("2>&1"));
                        i += 3;
                    } else {
                        tokens.push(Token::Op("2>"));
                        i += 1;
                    }
                    continue;
                }
                let _ = four;
                flush(&mut tokens, &mut word, &mut in_word);
                let op = match two.as_str() {
                    "&&" => "&&",
                    "||" => "||",
                    ">>" => ">>",
                    _ => match c {
                        '|' => "|",
                        ';' => ";",
                        '>' => ">",
                        '<' => "<",
                        _ => return Err("Syntax error: \"&\" unexpected (background jobs are not run here)".into()),
                    },
                };
                tokens.push(Token::Op(op));
                i += op.len();
            }
            '#' if !in_word => break,
            _ => {
                word.push(c);
                in_word = true;
                i += 1;
            }
        }
    }
    flush(&mut tokens, &mut word, &mut in_word);
    Ok(tokens)
}

impl Line {
    /// Parses `line` in `state` (variables expand at parse time, so a line that
    /// sets a variable and reads it in the same line sees the old value).
    pub(crate) fn parse(line: &str, state: &ShellState) -> Parsed {
        let tokens = match tokenize(line, state) {
            Ok(t) => t,
            Err(e) => return Parsed::SyntaxError(e),
        };
        let mut pipelines: Vec<(Join, Vec<Simple>)> = Vec::new();
        let mut join = Join::Then;
        let mut pipeline: Vec<Simple> = Vec::new();
        let mut current = Simple::default();
        let mut iter = tokens.into_iter().peekable();
        let unexpected = |op: &str| Parsed::SyntaxError(format!("Syntax error: \"{op}\" unexpected"));
        while let Some(token) = iter.next() {
            match token {
                Token::Word(w) => current.words.push(w),
                Token::Op(op @ (">" | ">>" | "<" | "2>")) => {
                    let Some(Token::Word(path)) = iter.next() else {
                        return Parsed::SyntaxError("Syntax error: redirection unexpected".into());
                    };
                    current.redirects.push(match op {
                        ">" => Redirect::Out { path, append: false },
                        ">>" => Redirect::Out { path, append: true },
                        "<" => Redirect::In(path),
                        _ => Redirect::ErrTo(path),
                    });
                }
                Token::Op("2>&1") => current.redirects.push(Redirect::ErrToOut),
                Token::Op("|") => {
                    if current.words.is_empty() {
                        return unexpected("|");
                    }
                    pipeline.push(std::mem::take(&mut current));
                }
                Token::Op(op) => {
                    if current.words.is_empty() {
                        if op == ";" && pipeline.is_empty() {
                            continue;
                        }
                        return unexpected(op);
                    }
                    pipeline.push(std::mem::take(&mut current));
                    pipelines.push((join, std::mem::take(&mut pipeline)));
                    join = match op {
                        "&&" => Join::And,
                        "||" => Join::Or,
                        _ => Join::Then,
                    };
                    if iter.peek().is_none() && op != ";" {
                        return Parsed::SyntaxError("Syntax error: end of file unexpected".into());
                    }
                }
            }
        }
        if !current.words.is_empty() {
            pipeline.push(current);
        } else if !pipeline.is_empty() {
            return Parsed::SyntaxError("Syntax error: end of file unexpected".into());
        }
        if !pipeline.is_empty() {
            pipelines.push((join, pipeline));
        }
        let external = pipelines.iter().flat_map(|(_, p)| p).any(|s| !BUILTINS.contains(&s.words[0].as_str()));
        if external {
            Parsed::External
        } else {
            Parsed::Builtin(Line { pipelines })
        }
    }

    /// Runs the line on `fs`: its output (stdout and stderr as written) and exit status.
    pub(crate) fn run(&self, state: &mut ShellState, fs: &mut SandboxFs) -> (String, i32) {
        let mut out = Output::default();
        let mut status = 0;
        for (join, pipeline) in &self.pipelines {
            let run = match join {
                Join::Then => true,
                Join::And => status == 0,
                Join::Or => status != 0,
            };
            if !run {
                continue;
            }
            let mut input = Vec::new();
            for (i, simple) in pipeline.iter().enumerate() {
                let last = i + 1 == pipeline.len();
                let mut io = Io { stdin: std::mem::take(&mut input), stdout: Vec::new(), stderr: Vec::new() };
                let mut ctx = Context { state, fs, io: &mut io };
                let result = ctx.simple(simple);
                let Io { stdout, stderr, .. } = io;
                out.push(&stderr);
                if last {
                    out.push(&stdout);
                } else {
                    input = stdout;
                }
                match result {
                    Flow::Status(code) => status = code,
                    Flow::Exit(code) => {
                        state.last_status = code;
                        return (out.text(), code);
                    }
                }
            }
            state.last_status = status;
        }
        (out.text(), status)
    }
}

#[derive(Default)]
struct Output(Vec<u8>);

impl Output {
    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_OUTPUT.saturating_sub(self.0.len());
        self.0.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

struct Io {
    stdin: Vec<u8>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum Flow {
    Status(i32),
    Exit(i32),
}

struct Context<'a> {
    state: &'a mut ShellState,
    fs: &'a mut SandboxFs,
    io: &'a mut Io,
}

impl Context<'_> {
    fn path(&self, p: &str) -> String {
        if p.starts_with('/') {
            normalize(p)
        } else {
            normalize(&format!("{}/{p}", self.state.cwd))
        }
    }

    fn err(&mut self, text: String) {
        self.io.stderr.extend_from_slice(text.as_bytes());
        self.io.stderr.push(b'\n');
    }

    fn out(&mut self, text: &str) {
        self.io.stdout.extend_from_slice(text.as_bytes());
    }

    /// Whether `path` may be written: its folder exists and is writable.
    fn writable(&mut self, program: &str, path: &str) -> bool {
        let folder = parent(path).unwrap_or_else(|| "/".into());
        if !self.fs.is_dir(&folder) {
            self.err(format!("{program}: cannot access '{path}': No such file or directory"));
            return false;
        }
        if self.fs.read_only_ancestor(&folder).is_some() {
            self.err(format!("{program}: cannot write '{path}': Permission denied"));
            return false;
        }
        true
    }

    fn simple(&mut self, simple: &Simple) -> Flow {
        for r in &simple.redirects {
            if let Redirect::In(p) = r {
                let path = self.path(p);
                match self.fs.files.get(&path) {
                    Some(c) => self.io.stdin = c.clone(),
                    None => {
                        self.err(format!("sh: 1: cannot open {p}: No such file"));
                        return Flow::Status(2);
                    }
                }
            }
        }
        let flow = self.builtin(&simple.words);
        for r in &simple.redirects {
            match r {
                Redirect::Out { path, append } => {
                    let full = self.path(path);
                    let folder = parent(&full).unwrap_or_else(|| "/".into());
                    let why = if !self.fs.is_dir(&folder) {
                        Some("Directory nonexistent")
                    } else if self.fs.is_dir(&full) {
                        Some("Is a directory")
                    } else if self.fs.read_only_ancestor(&folder).is_some() {
                        Some("Permission denied")
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        self.io.stdout.clear();
                        self.err(format!("sh: 1: cannot create {path}: {why}"));
                        return Flow::Status(2);
                    }
                    let text = std::mem::take(&mut self.io.stdout);
                    let file = self.fs.files.entry(full).or_default();
                    if !append {
                        file.clear();
                    }
                    file.extend_from_slice(&text);
                }
                Redirect::ErrToOut => {
                    let err = std::mem::take(&mut self.io.stderr);
                    self.io.stdout.extend_from_slice(&err);
                }
                Redirect::ErrTo(path) => {
                    let full = self.path(path);
                    let err = std::mem::take(&mut self.io.stderr);
                    if full != "/dev/null" && self.writable("sh", &full) {
                        self.fs.files.entry(full).or_default().extend_from_slice(&err);
                    }
                }
                Redirect::In(_) => {}
            }
        }
        flow
    }

    fn builtin(&mut self, words: &[String]) -> Flow {
        let (program, args) = (words[0].as_str(), &words[1..]);
        let status = match program {
            "true" => 0,
            "false" => 1,
            "exit" => {
                let code = args.first().map_or(Ok(self.state.last_status), |a| a.parse::<i32>());
                return match code {
                    Ok(code) => Flow::Exit(code & 0xff),
                    Err(_) => {
                        self.err(format!("sh: 1: exit: Illegal number: {}", args[0]));
                        Flow::Exit(2)
                    }
                };
            }
            "echo" => {
                let newline = args.first().map(String::as_str) != Some("-n");
                let words = if newline { args } else { &args[1..] };
                let text = words.join(" ");
                self.out(&text);
                if newline {
                    self.out("\n");
                }
                0
            }
            "pwd" => {
                let cwd = self.state.cwd.clone();
                self.out(&format!("{cwd}\n"));
                0
            }
            "cd" => {
                let dir = args.first().map_or_else(|| super::workspace_fs::HOME.to_string(), |a| self.path(a));
                if self.fs.is_dir(&dir) {
                    self.state.cwd = dir;
                    0
                } else {
                    self.err(format!("sh: 1: cd: can't cd to {}", args.first().map_or("", String::as_str)));
                    2
                }
            }
            "env" => {
                let text: String = self.state.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                self.out(&text);
                0
            }
            "export" => {
                for a in args {
                    if let Some((k, v)) = a.split_once('=') {
                        self.state.env.insert(k.to_string(), v.to_string());
                    }
                }
                0
            }
            "cat" => self.cat(args),
            "ls" => self.ls(args),
            "mkdir" => self.mkdir(args),
            "touch" => self.touch(args),
            "rm" => self.rm(args),
            "mv" | "cp" => self.copy(program, args),
            "test" => self.test(args),
            "[" => match args.split_last() {
                Some((last, rest)) if last == "]" => self.test(rest),
                _ => {
                    self.err("sh: 1: [: missing ]".into());
                    2
                }
            },
            "git" => self.git(args),
            _ => 127,
        };
        Flow::Status(status)
    }

    fn cat(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            let input = std::mem::take(&mut self.io.stdin);
            self.io.stdout.extend_from_slice(&input);
            return 0;
        }
        let mut status = 0;
        for a in args {
            let path = self.path(a);
            match self.fs.files.get(&path) {
                Some(c) => {
                    let c = c.clone();
                    self.io.stdout.extend_from_slice(&c);
                }
                None if self.fs.is_dir(&path) => {
                    self.err(format!("cat: {a}: Is a directory"));
                    status = 1;
                }
                None => {
                    self.err(format!("cat: {a}: No such file or directory"));
                    status = 1;
                }
            }
        }
        status
    }

    /// The names directly in folder `dir` (files and folders), sorted.
    fn entries(&self, dir: &str) -> BTreeMap<String, bool> {
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let mut names = BTreeMap::new();
        let folders = self.fs.modes.keys().chain(self.fs.repos.keys()).map(|p| (p, true));
        for (p, is_dir) in self.fs.files.keys().map(|p| (p, false)).chain(folders) {
            if let Some(rest) = p.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((folder, _)) => names.insert(folder.to_string(), true),
                    None if !rest.is_empty() => names.insert(rest.to_string(), is_dir),
                    None => None,
                };
            }
        }
        if dir == "/" {
            names.insert("home".into(), true);
        } else if dir == "/home" {
            names.insert("daytona".into(), true);
        }
        names
    }

    fn ls(&mut self, args: &[String]) -> i32 {
        let long = args.iter().any(|a| a.starts_with('-') && a.contains('l'));
        let all = args.iter().any(|a| a.starts_with('-') && a.contains('a'));
        let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let cwd = self.state.cwd.clone();
        let operands = if operands.is_empty() { vec![cwd] } else { operands.iter().map(|t| t.to_string()).collect() };
        let mut status = 0;
        let many = operands.len() > 1;
        for (i, t) in operands.iter().enumerate() {
            let path = self.path(t);
            let line = |name: &str, is_dir: bool, size: usize| {
                if long {
                    let kind = if is_dir { "drwxr-xr-x" } else { "-rw-r--r--" };
                    format!("{kind} 1 daytona daytona {size} {name}\n")
                } else {
                    format!("{name}\n")
                }
            };
            if let Some(c) = self.fs.files.get(&path) {
                let text = line(t, false, c.len());
                self.out(&text);
            } else if self.fs.is_dir(&path) {
                if many {
                    self.out(&format!("{}{t}:\n", if i > 0 { "\n" } else { "" }));
                }
                let mut text = String::new();
                if all {
                    text.push_str(&line(".", true, 4096));
                    text.push_str(&line("..", true, 4096));
                }
                for (name, is_dir) in self.entries(&path) {
                    if name.starts_with('.') && !all {
                        continue;
                    }
                    let size =
                        self.fs.files.get(&format!("{}/{name}", path.trim_end_matches('/'))).map_or(4096, Vec::len);
                    text.push_str(&line(&name, is_dir, size));
                }
                self.out(&text);
            } else {
                self.err(format!("ls: cannot access '{t}': No such file or directory"));
                status = 2;
            }
        }
        status
    }

    fn mkdir(&mut self, args: &[String]) -> i32 {
        let parents = args.iter().any(|a| a == "-p");
        let mut status = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let path = self.path(a);
            if self.fs.is_dir(&path) {
                if !parents {
                    self.err(format!("mkdir: cannot create directory '{a}': File exists"));
                    status = 1;
                }
                continue;
            }
            let folder = parent(&path).unwrap_or_else(|| "/".into());
            if self.fs.files.contains_key(&path) || (!parents && !self.fs.is_dir(&folder)) {
                let why = if self.fs.files.contains_key(&path) { "File exists" } else { "No such file or directory" };
                self.err(format!("mkdir: cannot create directory '{a}': {why}"));
                status = 1;
                continue;
            }
            if self.fs.read_only_ancestor(&folder).is_some() {
                self.err(format!("mkdir: cannot create directory '{a}': Permission denied"));
                status = 1;
                continue;
            }
            let mut at = Some(path);
            while let Some(p) = at.filter(|p| !self.fs.is_dir(p)) {
                at = parent(&p);
                self.fs.modes.insert(p, 0o755);
            }
        }
        status
    }

    fn touch(&mut self, args: &[String]) -> i32 {
        let mut status = 0;
        for a in args {
            let path = self.path(a);
            if self.fs.files.contains_key(&path) || self.fs.is_dir(&path) {
                continue;
            }
            if self.writable("touch", &path) {
                self.fs.files.insert(path, Vec::new());
            } else {
                status = 1;
            }
        }
        status
    }

    fn rm(&mut self, args: &[String]) -> i32 {
        let flags: String = args.iter().filter(|a| a.starts_with('-')).flat_map(|a| a.chars().skip(1)).collect();
        let (recursive, force) = (flags.contains('r') || flags.contains('R'), flags.contains('f'));
        let mut status = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let path = self.path(a);
            let folder = parent(&path).unwrap_or_else(|| "/".into());
            let exists = self.fs.files.contains_key(&path) || self.fs.is_dir(&path);
            if !exists {
                if !force {
                    self.err(format!("rm: cannot remove '{a}': No such file or directory"));
                    status = 1;
                }
                continue;
            }
            if self.fs.read_only_ancestor(&folder).is_some() {
                self.err(format!("rm: cannot remove '{a}': Permission denied"));
                status = 1;
                continue;
            }
            if self.fs.files.remove(&path).is_some() {
                continue;
            }
            if !recursive {
                self.err(format!("rm: cannot remove '{a}': Is a directory"));
                status = 1;
                continue;
            }
            self.fs.remove_tree(&path);
        }
        status
    }

    /// `mv SRC DST` and `cp [-r] SRC DST` (DST may be a folder to put SRC in).
    fn copy(&mut self, program: &str, args: &[String]) -> i32 {
        let recursive = args.iter().any(|a| a == "-r" || a == "-R" || a == "-a");
        let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let [src, dst] = names[..] else {
            self.err(format!("{program}: missing file operand"));
            return 1;
        };
        let (from, mut to) = (self.path(src), self.path(dst));
        if self.fs.is_dir(&to) {
            let name = from.rsplit('/').next().unwrap_or_default();
            to = format!("{}/{name}", to.trim_end_matches('/'));
        }
        if !self.writable(program, &to) {
            return 1;
        }
        if let Some(content) = self.fs.files.get(&from).cloned() {
            if program == "mv" {
                self.fs.files.remove(&from);
            }
            self.fs.files.insert(to, content);
            return 0;
        }
        if !self.fs.is_dir(&from) {
            self.err(format!("{program}: cannot stat '{src}': No such file or directory"));
            return 1;
        }
        if program == "cp" && !recursive {
            self.err(format!("cp: -r not specified; omitting directory '{src}'"));
            return 1;
        }
        self.fs.copy_tree(&from, &to, program == "mv");
        0
    }

    fn test(&mut self, args: &[String]) -> i32 {
        let truth = |b: bool| if b { 0 } else { 1 };
        match args {
            [] => 1,
            [bang, rest @ ..] if bang == "!" => 1 - self.test(rest).min(1),
            [s] => truth(!s.is_empty()),
            [op, a] => {
                let path = self.path(a);
                match op.as_str() {
                    "-f" => truth(self.fs.files.contains_key(&path)),
                    "-d" => truth(self.fs.is_dir(&path)),
                    "-e" => truth(self.fs.files.contains_key(&path) || self.fs.is_dir(&path)),
                    "-s" => truth(self.fs.files.get(&path).is_some_and(|c| !c.is_empty())),
                    "-z" => truth(a.is_empty()),
                    "-n" => truth(!a.is_empty()),
                    _ => {
                        self.err(format!("sh: 1: test: {op}: unexpected operator"));
                        2
                    }
                }
            }
            [a, op, b] => match op.as_str() {
                "=" | "==" => truth(a == b),
                "!=" => truth(a != b),
                "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge" => match (a.parse::<i64>(), b.parse::<i64>()) {
                    (Ok(x), Ok(y)) => truth(match op.as_str() {
                        "-eq" => x == y,
                        "-ne" => x != y,
                        "-lt" => x < y,
                        "-le" => x <= y,
                        "-gt" => x > y,
                        _ => x >= y,
                    }),
                    _ => {
                        self.err(format!("sh: 1: test: Illegal number: {a}"));
                        2
                    }
                },
                _ => {
                    self.err(format!("sh: 1: test: {op}: unexpected operator"));
                    2
                }
            },
            _ => {
                self.err("sh: 1: test: too many arguments".into());
                2
            }
        }
    }

    fn git(&mut self, args: &[String]) -> i32 {
        let cwd = self.state.cwd.clone();
        let Some(root) = self.fs.checkout_root(&cwd) else {
            self.err("fatal: not a git repository (or any of the parent directories): .git".into());
            return 128;
        };
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = match words.as_slice() {
            ["status", ..] => self.fs.git_status(&root).map(|s| {
                let mut text = format!("On branch {}\n", s.branch);
                if s.files.is_empty() {
                    text.push_str("nothing to commit, working tree clean\n");
                }
                for (name, staging, worktree) in s.files {
                    let code = |w: &str| match w {
                        "Added" => 'A',
                        "Modified" => 'M',
                        "Deleted" => 'D',
                        "Untracked" => '?',
                        _ => ' ',
                    };
                    text.push_str(&format!("{}{} {name}\n", code(staging), code(worktree)));
                }
                text
            }),
            ["add", files @ ..] if !files.is_empty() => {
                let rel: Vec<String> = files.iter().map(|f| relative(&root, &self.path(f))).collect();
                self.fs.git_add(&root, &rel).map(|()| String::new())
            }
            ["commit", "-m", message, ..] => {
                let author = self.state.env.get("GIT_AUTHOR_NAME").cloned().unwrap_or_else(|| "daytona".into());
                let email =
                    self.state.env.get("GIT_AUTHOR_EMAIL").cloned().unwrap_or_else(|| "daytona@daytona.io".into());
                let branch = self.fs.git_branches(&root).map(|(_, b)| b).unwrap_or_default();
                self.fs
                    .git_commit(&root, message, &author, &email)
                    .map(|hash| format!("[{branch} {}] {message}\n", &hash[..7]))
            }
            ["branch"] => self.fs.git_branches(&root).map(|(all, current)| {
                all.iter().map(|b| format!("{} {b}\n", if *b == current { '*' } else { ' ' })).collect()
            }),
            ["branch", name] => self.fs.git_create_branch(&root, name).map(|()| String::new()),
            ["checkout", "-b", name] => self
                .fs
                .git_create_branch(&root, name)
                .and_then(|()| self.fs.git_checkout(&root, name))
                .map(|()| format!("Switched to a new branch '{name}'\n")),
            ["checkout" | "switch", name] => {
                self.fs.git_checkout(&root, name).map(|()| format!("Switched to branch '{name}'\n"))
            }
            ["rev-parse", "--abbrev-ref", "HEAD"] => self.fs.git_branches(&root).map(|(_, b)| format!("{b}\n")),
            _ => {
                self.err(format!("git: '{}' is not a git command this sandbox runs", words.join(" ")));
                return 1;
            }
        };
        match result {
            Ok(text) => {
                // git prints what it did on stderr for checkout, stdout otherwise; one stream here.
                self.out(&text);
                0
            }
            Err((_, message)) => {
                let code = if message.starts_with("nothing to commit") { 1 } else { 128 };
                let prefix = if code == 1 { "" } else { "fatal: " };
                self.err(format!("{prefix}{message}"));
                code
            }
        }
    }
}

/// `path` relative to the checkout `root` (`.` for the root itself).
fn relative(root: &str, path: &str) -> String {
    path.strip_prefix(&format!("{root}/")).map_or_else(|| ".".to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(fs: &mut SandboxFs, state: &mut ShellState, line: &str) -> (String, i32) {
        match Line::parse(line, state) {
            Parsed::Builtin(l) => l.run(state, fs),
            Parsed::External => ("<external>".into(), -1),
            Parsed::SyntaxError(e) => (e, 2),
        }
    }

    fn shell() -> (SandboxFs, ShellState) {
        (SandboxFs::default(), ShellState::new("/home/daytona", BTreeMap::from([("USER".into(), "daytona".into())])))
    }

    #[test]
    fn ordinary_commands_run_against_the_sandbox_files() {
        let (mut fs, mut sh) = shell();
        assert_eq!(run(&mut fs, &mut sh, "echo hi"), ("hi\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "mkdir -p work/src && cd work && pwd"), ("/home/daytona/work\n".into(), 0));
        assert_eq!(
            run(&mut fs, &mut sh, "echo 'a b' > src/a.txt; echo \"$USER\" >> src/a.txt; cat src/a.txt"),
            ("a b\ndaytona\n".into(), 0)
        );
        assert_eq!(run(&mut fs, &mut sh, "cat src/a.txt | cat"), ("a b\ndaytona\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "cp src/a.txt b.txt && mv b.txt c.txt && ls"), ("c.txt\nsrc\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "test -f c.txt && echo yes || echo no"), ("yes\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "rm c.txt; [ -e c.txt ] || echo gone"), ("gone\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "cat nope"), ("cat: nope: No such file or directory\n".into(), 1));
        assert_eq!(run(&mut fs, &mut sh, "false; echo $?"), ("1\n".into(), 0));
        assert_eq!(run(&mut fs, &mut sh, "export GREETING=hello"), ("".into(), 0));
        assert_eq!(
            run(&mut fs, &mut sh, "echo ${GREETING}, world; exit 3; echo unreached"),
            ("hello, world\n".into(), 3)
        );
        assert_eq!(run(&mut fs, &mut sh, "python3 -c 'print(1)'"), ("<external>".into(), -1));
        assert_eq!(run(&mut fs, &mut sh, "echo 'unclosed"), ("Syntax error: Unterminated quoted string".into(), 2));
    }

    #[test]
    fn a_read_only_folder_refuses_writes_and_keeps_its_files() {
        let (mut fs, mut sh) = shell();
        run(&mut fs, &mut sh, "mkdir ro && echo kept > ro/f");
        fs.modes.insert("/home/daytona/ro".into(), 0o555);
        let (text, code) = run(&mut fs, &mut sh, "echo x > ro/f");
        assert_eq!((text.as_str(), code), ("sh: 1: cannot create ro/f: Permission denied\n", 2));
        assert_eq!(run(&mut fs, &mut sh, "rm ro/f"), ("rm: cannot remove 'ro/f': Permission denied\n".into(), 1));
        assert_eq!(run(&mut fs, &mut sh, "cat ro/f"), ("kept\n".into(), 0));
    }
}
