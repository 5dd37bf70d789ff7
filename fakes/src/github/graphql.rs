//! `POST /graphql`: the part of GitHub's GraphQL API the CodexGate App uses
//! (the runbook: the installation token is "for git auth and the REST/GraphQL
//! calls"): `viewer`, `rateLimit`, and `repository(owner:, name:)` with its
//! `pullRequests(first:, after:, states:)` connection and
//! `pullRequest(number:)`.
//!
//! A query document is parsed (operations, selection sets, aliases,
//! arguments as literals or `$variables`, `__typename`); fragments and
//! mutations are answered with GitHub-shaped errors rather than guessed at. Each
//! field is checked against its type: an unknown one is GitHub's
//! `{"errors": [{"path", "extensions": {"code": "undefinedField", ...},
//! "locations", "message": "Field 'x' doesn't exist on type 'Y'"}]}` (200);
//! a repository that does not exist or that the token cannot reach is `data`
//! with `null` and a `NOT_FOUND` error, as GitHub answers.

use std::collections::BTreeMap;

use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::app_auth::{repo_actor, Credential, Need};
use super::errors::{Body, GhError};
use super::pulls::PullRecord;
use super::repos::Repo;
use super::{GithubFake, Inner, State};
use crate::clock::iso8601;

/// A GraphQL error as GitHub renders it.
#[derive(Debug, Clone, PartialEq)]
struct GqlError(Value);

fn error(message: String, line: usize, column: usize) -> GqlError {
    GqlError(json!({"message": message, "locations": [{"line": line, "column": column}]}))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Var(String),
    Int(i64),
    Str(String),
    Punct(char),
    Spread,
}

/// Tokens with their (line, column).
fn lex(text: &str) -> Result<Vec<(Tok, usize, usize)>, GqlError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let at = (line, col);
        let take = |n: usize, i: &mut usize, col: &mut usize| {
            *i += n;
            *col += n;
        };
        match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
            }
            ' ' | '\t' | '\r' | ',' => take(1, &mut i, &mut col),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' | '}' | '(' | ')' | ':' | '[' | ']' | '!' | '=' | '@' => {
                out.push((Tok::Punct(c), at.0, at.1));
                take(1, &mut i, &mut col);
            }
            '.' if chars[i..].starts_with(&['.', '.', '.']) => {
                out.push((Tok::Spread, at.0, at.1));
                take(3, &mut i, &mut col);
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    s.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(error("Parse error on \"\\\"\" (STRING): unterminated string".into(), at.0, at.1));
                }
                out.push((Tok::Str(s), at.0, at.1));
                let n = j + 1 - i;
                take(n, &mut i, &mut col);
            }
            '$' | '_' | 'a'..='z' | 'A'..='Z' => {
                let start = if c == '$' { i + 1 } else { i };
                let mut j = start;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                out.push((if c == '$' { Tok::Var(name) } else { Tok::Name(name) }, at.0, at.1));
                let n = j - i;
                take(n, &mut i, &mut col);
            }
            '-' | '0'..='9' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n = text.parse::<i64>().map_err(|_| error(format!("Parse error on \"{text}\""), at.0, at.1))?;
                out.push((Tok::Int(n), at.0, at.1));
                let len = j - i;
                take(len, &mut i, &mut col);
            }
            other => return Err(error(format!("Parse error on \"{other}\""), at.0, at.1)),
        }
    }
    Ok(out)
}

/// A field of a selection set.
#[derive(Debug, Clone)]
struct Field {
    alias: Option<String>,
    name: String,
    args: BTreeMap<String, Arg>,
    selections: Vec<Field>,
    line: usize,
    column: usize,
}

#[derive(Debug, Clone)]
enum Arg {
    Literal(Value),
    Var(String),
    List(Vec<Arg>),
}

struct Parser {
    toks: Vec<(Tok, usize, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }

    fn here(&self) -> (usize, usize) {
        self.toks.get(self.at).or(self.toks.last()).map_or((1, 1), |t| (t.1, t.2))
    }

    fn fail<T>(&self, what: &str) -> Result<T, GqlError> {
        let (l, c) = self.here();
        let found = match self.peek() {
            Some(Tok::Name(n)) => format!("\"{n}\" (IDENTIFIER)"),
            Some(Tok::Punct(p)) => format!("\"{p}\" ({})", punct_name(*p)),
            Some(other) => format!("{other:?}"),
            None => "end of file".to_string(),
        };
        Err(error(format!("Parse error on {found}: expected {what}"), l, c))
    }

    fn punct(&mut self, p: char) -> Result<(), GqlError> {
        if self.peek() == Some(&Tok::Punct(p)) {
            self.at += 1;
            Ok(())
        } else {
            self.fail(&format!("\"{p}\""))
        }
    }

    fn name(&mut self) -> Result<String, GqlError> {
        match self.peek() {
            Some(Tok::Name(n)) => {
                let n = n.clone();
                self.at += 1;
                Ok(n)
            }
            _ => self.fail("a name"),
        }
    }

    /// The document's one operation: `kind` (`query`) and its selection set.
    fn operation(&mut self) -> Result<(String, Vec<Field>), GqlError> {
        let kind = match self.peek() {
            Some(Tok::Punct('{')) => "query".to_string(),
            Some(Tok::Name(_)) => {
                let kind = self.name()?;
                if let Some(Tok::Name(_)) = self.peek() {
                    self.name()?;
                }
                if self.peek() == Some(&Tok::Punct('(')) {
                    // Variable definitions: types are not checked here, only skipped.
                    let mut depth = 0;
                    loop {
                        match self.peek() {
                            Some(Tok::Punct('(')) => depth += 1,
                            Some(Tok::Punct(')')) => {
                                depth -= 1;
                                if depth == 0 {
                                    self.at += 1;
                                    break;
                                }
                            }
                            None => return self.fail("\")\""),
                            _ => {}
                        }
                        self.at += 1;
                    }
                }
                kind
            }
            _ => return self.fail("an operation"),
        };
        let selections = self.selections()?;
        if self.peek().is_some() {
            return self.fail("end of file (one operation per request here)");
        }
        Ok((kind, selections))
    }

    fn selections(&mut self) -> Result<Vec<Field>, GqlError> {
        self.punct('{')?;
        let mut fields = Vec::new();
        while self.peek() != Some(&Tok::Punct('}')) {
            if self.peek() == Some(&Tok::Spread) {
                let (l, c) = self.here();
                return Err(error("Fragments are not supported by this fake".into(), l, c));
            }
            let (line, column) = self.here();
            let first = self.name()?;
            let (alias, name) = if self.peek() == Some(&Tok::Punct(':')) {
                self.at += 1;
                (Some(first), self.name()?)
            } else {
                (None, first)
            };
            let mut args = BTreeMap::new();
            if self.peek() == Some(&Tok::Punct('(')) {
                self.at += 1;
                while self.peek() != Some(&Tok::Punct(')')) {
                    let key = self.name()?;
                    self.punct(':')?;
                    args.insert(key, self.value()?);
                }
                self.at += 1;
            }
            let selections = if self.peek() == Some(&Tok::Punct('{')) { self.selections()? } else { Vec::new() };
            fields.push(Field { alias, name, args, selections, line, column });
        }
        self.at += 1;
        Ok(fields)
    }

    fn value(&mut self) -> Result<Arg, GqlError> {
        let tok = self.peek().cloned();
        self.at += 1;
        Ok(match tok {
            Some(Tok::Int(n)) => Arg::Literal(json!(n)),
            Some(Tok::Str(s)) => Arg::Literal(json!(s)),
            Some(Tok::Var(v)) => Arg::Var(v),
            Some(Tok::Name(n)) => Arg::Literal(match n.as_str() {
                "true" => json!(true),
                "false" => json!(false),
                "null" => Value::Null,
                _ => json!(n),
            }),
            Some(Tok::Punct('[')) => {
                let mut items = Vec::new();
                while self.peek() != Some(&Tok::Punct(']')) {
                    if self.peek().is_none() {
                        return self.fail("\"]\"");
                    }
                    items.push(self.value()?);
                }
                self.at += 1;
                Arg::List(items)
            }
            _ => {
                self.at -= 1;
                return self.fail("a value");
            }
        })
    }
}

fn punct_name(p: char) -> &'static str {
    match p {
        '{' => "LCURLY",
        '}' => "RCURLY",
        '(' => "LPAREN",
        ')' => "RPAREN",
        _ => "PUNCTUATOR",
    }
}

#[derive(Deserialize)]
pub(crate) struct GraphqlRequest {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
}

/// Resolves the fields of an object that take arguments or are objects
/// themselves: `Some(value)` for one it knows, `None` for a plain field.
type Nested<'n, 'a> = dyn FnMut(&mut Exec<'a>, &Field, &[Value]) -> Option<Value> + 'n;

/// What a query runs against: the fake, its state and the caller.
struct Exec<'a> {
    inner: &'a Inner,
    state: &'a State,
    cred: &'a Credential,
    vars: Map<String, Value>,
    errors: Vec<Value>,
}

impl<'a> Exec<'a> {
    fn arg(&self, field: &Field, name: &str) -> Value {
        fn eval(arg: &Arg, vars: &Map<String, Value>) -> Value {
            match arg {
                Arg::Literal(v) => v.clone(),
                Arg::Var(name) => vars.get(name).cloned().unwrap_or(Value::Null),
                Arg::List(items) => Value::Array(items.iter().map(|a| eval(a, vars)).collect()),
            }
        }
        field.args.get(name).map_or(Value::Null, |a| eval(a, &self.vars))
    }

    fn undefined(&mut self, field: &Field, type_name: &str, path: &[Value]) {
        self.errors.push(json!({
            "path": path,
            "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field.name},
            "locations": [{"line": field.line, "column": field.column}],
            "message": format!("Field '{}' doesn't exist on type '{type_name}'", field.name),
        }));
    }

    /// Selects `fields` of an object of `type_name` whose plain fields are in
    /// `scalars`; `nested` resolves the fields that take arguments or are objects.
    fn object(
        &mut self,
        type_name: &str,
        scalars: &Map<String, Value>,
        fields: &[Field],
        path: &[Value],
        nested: &mut Nested<'_, 'a>,
    ) -> Value {
        let mut out = Map::new();
        for f in fields {
            let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
            let mut here = path.to_vec();
            here.push(json!(key));
            let value = if f.name == "__typename" {
                json!(type_name)
            } else if let Some(v) = nested(self, f, &here) {
                v
            } else if let Some(v) = scalars.get(&f.name) {
                v.clone()
            } else {
                self.undefined(f, type_name, &here);
                continue;
            };
            out.insert(key, value);
        }
        Value::Object(out)
    }

    fn actor(&mut self, login: &str, bot: bool, f: &Field, path: &[Value]) -> Value {
        let kind = if bot { "Bot" } else { "User" };
        let scalars = map(json!({"login": login, "url": self.inner.html(&format!("/{login}"))}));
        self.object(kind, &scalars, &f.selections, path, &mut |_, _, _| None)
    }

    fn pull(&mut self, repo: &Repo, pr: &PullRecord, fields: &[Field], path: &[Value]) -> Value {
        let inner = self.inner;
        let author = pr.user.login(inner).unwrap_or_default();
        let mergeable = match (pr.open, repo.git.branch_sha(&pr.base)) {
            (true, Some(base)) => {
                if repo.git.merge_trees(base, &pr.head_sha(repo)).is_ok() {
                    "MERGEABLE"
                } else {
                    "CONFLICTING"
                }
            }
            _ => "UNKNOWN",
        };
        let scalars = map(json!({
            "id": format!("PR_kwDO{:08X}", pr.id),
            "databaseId": pr.id,
            "number": pr.number,
            "title": pr.title,
            "body": pr.body.clone().unwrap_or_default(),
            "state": if pr.merged { "MERGED" } else if pr.open { "OPEN" } else { "CLOSED" },
            "merged": pr.merged,
            "closed": !pr.open,
            "isDraft": pr.draft,
            "mergeable": mergeable,
            "url": inner.html(&format!("/{}/pull/{}", repo.full_name(), pr.number)),
            "headRefName": pr.head,
            "baseRefName": pr.base,
            "headRefOid": pr.head_sha(repo),
            "createdAt": iso8601(pr.created_at),
            "updatedAt": iso8601(pr.updated_at),
            "mergedAt": if pr.merged { pr.closed_at.map(iso8601) } else { None },
        }));
        let bot = pr.user == super::actors::Actor::Bot;
        self.object("PullRequest", &scalars, fields, path, &mut |exec, f, here| match f.name.as_str() {
            "author" => Some(exec.actor(&author, bot, f, here)),
            _ => None,
        })
    }

    fn pull_requests(&mut self, repo: &Repo, f: &Field, path: &[Value]) -> Value {
        let states: Vec<String> = match self.arg(f, "states") {
            Value::Array(items) => items.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
            Value::String(s) => vec![s],
            _ => Vec::new(),
        };
        let first = self.arg(f, "first").as_u64().unwrap_or(100).min(100) as usize;
        let after = self.arg(f, "after").as_str().and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
        let matching: Vec<&PullRecord> = repo
            .pulls
            .values()
            .filter(|p| {
                let state = if p.merged {
                    "MERGED"
                } else if p.open {
                    "OPEN"
                } else {
                    "CLOSED"
                };
                states.is_empty() || states.iter().any(|s| s == state)
            })
            .collect();
        let total = matching.len();
        let page: Vec<&PullRecord> = matching.iter().filter(|p| p.number > after).take(first).copied().collect();
        let has_next = matching.iter().filter(|p| p.number > after).count() > page.len();
        let end = page.last().map(|p| p.number.to_string());
        let start = page.first().map(|p| p.number.to_string());
        let scalars = map(json!({"totalCount": total}));
        self.object("PullRequestConnection", &scalars, &f.selections, path, &mut |exec, g, here| match g.name.as_str() {
            "nodes" => Some(Value::Array(
                page.iter()
                    .enumerate()
                    .map(|(i, pr)| {
                        let mut at = here.to_vec();
                        at.push(json!(i));
                        exec.pull(repo, pr, &g.selections, &at)
                    })
                    .collect(),
            )),
            "edges" => Some(Value::Array(
                page.iter()
                    .enumerate()
                    .map(|(i, pr)| {
                        let mut at = here.to_vec();
                        at.push(json!(i));
                        let cursor = map(json!({"cursor": pr.number.to_string()}));
                        exec.object("PullRequestEdge", &cursor, &g.selections, &at, &mut |exec, h, there| {
                            (h.name == "node").then(|| exec.pull(repo, pr, &h.selections, there))
                        })
                    })
                    .collect(),
            )),
            "pageInfo" => {
                let info = map(json!({"hasNextPage": has_next, "hasPreviousPage": after > 0, "endCursor": end, "startCursor": start}));
                Some(exec.object("PageInfo", &info, &g.selections, here, &mut |_, _, _| None))
            }
            _ => None,
        })
    }

    fn repository(&mut self, f: &Field, path: &[Value]) -> Value {
        let owner = self.arg(f, "owner").as_str().unwrap_or_default().to_string();
        let name = self.arg(f, "name").as_str().unwrap_or_default().to_string();
        let state: &State = self.state;
        let reachable = repo_actor(self.inner, state, self.cred, &owner, &name, Need::Read).is_ok();
        let Some(repo) = state.repos.get(&State::repo_key(&owner, &name)).filter(|_| reachable) else {
            self.errors.push(json!({
                "type": "NOT_FOUND",
                "path": path,
                "locations": [{"line": f.line, "column": f.column}],
                "message": format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            }));
            return Value::Null;
        };
        let inner = self.inner;
        let scalars = map(json!({
            "id": format!("R_kgDO{:08X}", repo.id),
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": repo.full_name(),
            "url": inner.html(&format!("/{}", repo.full_name())),
            "isPrivate": repo.private,
            "description": repo.description,
        }));
        self.object("Repository", &scalars, &f.selections, path, &mut |exec, g, here| match g.name.as_str() {
            "defaultBranchRef" => {
                let branch = map(json!({"name": repo.default_branch, "prefix": "refs/heads/"}));
                Some(exec.object("Ref", &branch, &g.selections, here, &mut |_, _, _| None))
            }
            "owner" => Some(exec.actor(&repo.owner, false, g, here)),
            "pullRequests" => Some(exec.pull_requests(repo, g, here)),
            "pullRequest" => {
                let number = exec.arg(g, "number").as_u64();
                match number.and_then(|n| repo.pulls.get(&n)) {
                    Some(pr) => Some(exec.pull(repo, pr, &g.selections, here)),
                    None => {
                        exec.errors.push(json!({
                            "type": "NOT_FOUND",
                            "path": here,
                            "locations": [{"line": g.line, "column": g.column}],
                            "message": format!("Could not resolve to a PullRequest with the number of {}.", number.unwrap_or(0)),
                        }));
                        Some(Value::Null)
                    }
                }
            }
            _ => None,
        })
    }
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `POST /graphql {query, variables?}`.
pub(crate) async fn graphql(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    body: Body<GraphqlRequest>,
) -> Result<Response, GhError> {
    let inner = &fake.inner;
    // GitHub's GraphQL API takes no anonymous calls.
    let Some(token) = cred.0.as_deref() else {
        return Err(GhError::new(StatusCode::UNAUTHORIZED, "This endpoint requires you to be authenticated."));
    };
    let req = body.0?;
    let state = fake.lock();
    let bot = inner.config.org_pat.as_ref().is_none_or(|p| p.token != token);
    if bot && state.tokens.get(token).is_none_or(|t| t.expires_at <= inner.clock.now_unix()) {
        return Err(GhError::bad_credentials());
    }
    let parsed = lex(&req.query).and_then(|toks| Parser { toks, at: 0 }.operation());
    let (kind, fields) = match parsed {
        Ok(op) => op,
        Err(GqlError(e)) => return Ok(Json(json!({"errors": [e]})).into_response()),
    };
    if kind != "query" {
        let e = json!({"message": format!("The {kind} operation is not supported by this fake; use the REST API")});
        return Ok(Json(json!({"errors": [e]})).into_response());
    }
    let mut exec =
        Exec { inner, state: &state, cred: &cred, vars: req.variables.unwrap_or_default(), errors: Vec::new() };
    let (login, rate) = match &inner.config.org_pat {
        Some(p) if p.token == token => (p.login.clone(), false),
        _ => (inner.bot_login(), true),
    };
    let data = exec.object("Query", &Map::new(), &fields, &[], &mut |exec, f, here| match f.name.as_str() {
        "viewer" => Some(exec.actor(&login, rate, f, here)),
        "repository" => Some(exec.repository(f, here)),
        "rateLimit" => {
            let limit = inner.config.rate_limit;
            let scalars = map(json!({"limit": limit, "cost": 1, "remaining": limit - 1, "used": 1, "resetAt": iso8601(inner.clock.now_unix() + 3600), "nodeCount": 0}));
            Some(exec.object("RateLimit", &scalars, &f.selections, here, &mut |_, _, _| None))
        }
        _ => None,
    });
    let mut out = json!({"data": data});
    if !exec.errors.is_empty() {
        // An undefined field fails the whole query (no data), as GitHub answers; a missing object only nulls it.
        if exec.errors.iter().any(|e| e["extensions"]["code"] == "undefinedField") {
            out = json!({});
        }
        out["errors"] = Value::Array(exec.errors);
    }
    Ok(Json(out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_with_aliases_arguments_and_variables() {
        let doc = "query Q($n: Int!) { repo: repository(owner: \"o\", name: \"r\") { pullRequest(number: $n) { number } pullRequests(first: 2, states: [OPEN, MERGED]) { nodes { title } } } }";
        let (kind, fields) = lex(doc).and_then(|toks| Parser { toks, at: 0 }.operation()).expect("parses");
        assert_eq!(kind, "query");
        assert_eq!(fields[0].alias.as_deref(), Some("repo"));
        assert_eq!(fields[0].selections.len(), 2);
        assert!(matches!(fields[0].selections[0].args.get("number"), Some(Arg::Var(v)) if v == "n"));
        let broken = lex("{ viewer { login }").and_then(|toks| Parser { toks, at: 0 }.operation());
        assert!(broken.is_err());
        let fragment = lex("{ viewer { ...F } }").and_then(|toks| Parser { toks, at: 0 }.operation());
        assert!(fragment.is_err());
    }
}
