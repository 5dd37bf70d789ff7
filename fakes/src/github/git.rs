//! What git keeps of a repository: content-addressed blobs, persistent trees,
//! commits and their graph, refs, and the three-way merge of two commits. A
//! merge is path-level, from the merge base, so a conflict (and so an
//! unmergeable pull request) emerges from what was written, never from a flag.
//!
//! Cost, as in git: a commit costs the paths it changes, not the size of the
//! repository (trees are persistent and share what did not change); a merge
//! costs the paths the head changed since the merge base; finding the merge
//! base visits only the commits newer than it (generation numbers, as git's
//! commit-graph keeps them), and of those only the head's side once the base
//! branch's ancestors are known (kept for the few last asked-about bases and
//! extended as a branch moves forward, so a run of merges into one branch does
//! not walk its whole history each time).

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Mutex;

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// A file's content and its id. Blobs are content-addressed: two blobs are
/// equal when their ids are.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub sha: String,
    pub content: Bytes,
}

impl Blob {
    pub(crate) fn new(content: impl Into<Bytes>) -> Blob {
        let content = content.into();
        Blob { sha: blob_sha(&content), content }
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.sha == other.sha
    }
}

/// A commit's tree: path -> blob, in path order.
///
/// Guarantees: a tree made from another by [`Tree::insert`] or [`Tree::remove`]
/// shares every unchanged part with it (cloning is O(1), a change O(log n));
/// [`Tree::changes`] skips the parts two related trees share; [`Tree::sha`] is the
/// same for the same files, however they were written, and is kept as the tree
/// changes rather than recomputed from every file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    files: imbl::OrdMap<String, Blob>,
    /// XOR of every entry's digest (path and blob id).
    digest: [u8; 20],
}

impl Tree {
    pub(crate) fn get(&self, path: &str) -> Option<&Blob> {
        self.files.get(path)
    }

    pub(crate) fn insert(&mut self, path: String, blob: Blob) {
        self.toggle(&path, &blob);
        if let Some(old) = self.files.insert(path.clone(), blob) {
            self.toggle(&path, &old);
        }
    }

    pub(crate) fn remove(&mut self, path: &str) {
        if let Some(old) = self.files.remove(path) {
            self.toggle(path, &old);
        }
    }

    /// Every file, in path order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Blob)> {
        self.files.iter()
    }

    /// The files under the directory `dir` (`""` for the root), in path order.
    pub(crate) fn under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a String, &'a Blob)> + 'a {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        self.files.range(prefix.clone()..).take_while(move |(p, _)| p.starts_with(&prefix))
    }

    /// The files under `dir`, with paths relative to it (a directory's own tree).
    pub(crate) fn subtree(&self, dir: &str) -> Tree {
        let mut sub = Tree::default();
        for (path, blob) in self.under(dir) {
            sub.insert(path[dir.len() + 1..].to_string(), blob.clone());
        }
        sub
    }

    /// The tree's id (40 hex digits).
    pub(crate) fn sha(&self) -> String {
        crate::ids::lower_hex(&self.digest)
    }

    /// What `after` changed relative to `self`: `(path, before, after)` for every
    /// path added, changed or removed, in path order.
    pub(crate) fn changes<'a>(
        &'a self,
        after: &'a Tree,
    ) -> impl Iterator<Item = (&'a String, Option<&'a Blob>, Option<&'a Blob>)> + 'a {
        self.files.diff(&after.files).map(|item| match item {
            imbl::ordmap::DiffItem::Add(path, blob) => (path, None, Some(blob)),
            imbl::ordmap::DiffItem::Update { old: (path, old), new: (_, new) } => (path, Some(old), Some(new)),
            imbl::ordmap::DiffItem::Remove(path, blob) => (path, Some(blob), None),
        })
    }

    /// Adds or takes out one entry's digest.
    fn toggle(&mut self, path: &str, blob: &Blob) {
        let mut h = Sha256::new();
        h.update(path.as_bytes());
        h.update([0]);
        h.update(blob.sha.as_bytes());
        for (d, e) in self.digest.iter_mut().zip(h.finalize()) {
            *d ^= e;
        }
    }
}

/// A commit: its tree and where it sits in the history.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub files: Tree,
    /// Where the commit is in the repository's [`CommitGraph`] (set when recorded).
    pub position: usize,
    pub message: String,
    pub author: (String, String),
    pub date: u64,
}

/// A repository's commit graph, as git's commit-graph file keeps it: each
/// commit's parents by position and its generation, so a history walk is array
/// lookups, not sha lookups.
///
/// Guarantees: a commit's generation is 1 if it has no parents, else one more
/// than its highest parent's, so an ancestor's is always lower than its
/// descendants'; positions are in recording order.
#[derive(Debug, Clone, Default)]
struct CommitGraph {
    shas: Vec<String>,
    parents: Vec<Vec<usize>>,
    generations: Vec<u64>,
    /// The ancestors of the last few commits [`CommitGraph::merge_base`] was asked about as its first side.
    reach: ReachCache,
}

/// How many commits' ancestor sets [`ReachCache`] keeps.
const REACH_CACHED: usize = 4;

/// The ancestor sets of up to [`REACH_CACHED`] commits, least recently used first:
/// `(commit, reached)` where `reached[c]` says whether `c` is that commit or one
/// of its ancestors (positions past the end: no).
///
/// Guarantees: every set is exactly its commit's ancestors. A commit recorded
/// later is never an ancestor of an earlier one, so recording commits leaves
/// every set true without touching it. Derived data only: a clone starts empty.
#[derive(Debug, Default)]
struct ReachCache(Mutex<Vec<(usize, Vec<bool>)>>);

impl Clone for ReachCache {
    fn clone(&self) -> Self {
        ReachCache::default()
    }
}

impl CommitGraph {
    /// Enters a commit with these parents; its position.
    fn add(&mut self, sha: &str, parents: Vec<usize>) -> usize {
        let generation = 1 + parents.iter().map(|&p| self.generations[p]).max().unwrap_or(0);
        self.shas.push(sha.to_string());
        self.parents.push(parents);
        self.generations.push(generation);
        self.generations.len() - 1
    }

    #[cfg(test)]
    pub(crate) fn generation(&self, position: usize) -> u64 {
        self.generations[position]
    }

    /// Whether `ancestor` is `of` or reachable from it; a lookup when `of`'s
    /// ancestors are kept, else a walk of only the commits newer than `ancestor`.
    fn is_ancestor(&self, ancestor: usize, of: usize) -> bool {
        let cached = {
            let sets = self.reach.0.lock().unwrap_or_else(|p| p.into_inner());
            sets.iter()
                .find(|(head, _)| *head == of)
                .map(|(_, reached)| reached.get(ancestor).copied().unwrap_or(false))
        };
        cached.unwrap_or_else(|| self.is_ancestor_by_walk(ancestor, of))
    }

    /// [`CommitGraph::is_ancestor`] by walking `of`'s history down to `ancestor`'s generation.
    fn is_ancestor_by_walk(&self, ancestor: usize, of: usize) -> bool {
        let floor = self.generations[ancestor];
        let mut seen = vec![false; self.generations.len()];
        let mut stack = vec![of];
        while let Some(c) = stack.pop() {
            if c == ancestor {
                return true;
            }
            if self.generations[c] > floor && !std::mem::replace(&mut seen[c], true) {
                stack.extend(&self.parents[c]);
            }
        }
        false
    }

    /// The nearest common ancestor of `a` and `b`: of the commits both reach, the
    /// one with the highest generation (then the latest recorded), as
    /// [`CommitGraph::merge_base_by_walk`] finds it. `b`'s history is walked
    /// newest first (highest generation, then position), so the first of its
    /// commits that `a` reaches is that one; what `a` reaches is looked up in
    /// `a`'s ancestor set, kept in [`ReachCache`].
    fn merge_base(&self, a: usize, b: usize) -> Option<usize> {
        let mut sets = self.reach.0.lock().unwrap_or_else(|p| p.into_inner());
        let reached = self.reached_from(&mut sets, a);
        let mut seen = BTreeSet::from([b]);
        let mut queue = BinaryHeap::from([(self.generations[b], b)]);
        while let Some((_, c)) = queue.pop() {
            if reached.get(c).copied().unwrap_or(false) {
                return Some(c);
            }
            for &p in &self.parents[c] {
                if seen.insert(p) {
                    queue.push((self.generations[p], p));
                }
            }
        }
        None
    }

    /// `head`'s ancestor set, made the most recently used of `sets`: the one kept
    /// for it; else a kept one of an ancestor of `head`'s, extended by the commits
    /// between them (a branch moved forward); else walked whole, in place of the
    /// least recently used when [`REACH_CACHED`] are kept.
    fn reached_from<'s>(&self, sets: &'s mut Vec<(usize, Vec<bool>)>, head: usize) -> &'s [bool] {
        let found = sets.iter().position(|(h, _)| *h == head);
        let found = found.or_else(|| {
            (0..sets.len()).rev().find(|&i| {
                let (from, reached) = &mut sets[i];
                let extended = self.extend_reach(reached, *from, head);
                if extended {
                    *from = head;
                }
                extended
            })
        });
        let entry = match found {
            Some(i) => sets.remove(i),
            None => {
                let mut reached = if sets.len() < REACH_CACHED { Vec::new() } else { sets.remove(0).1 };
                reached.clear();
                self.extend_reach(&mut reached, usize::MAX, head);
                (head, reached)
            }
        };
        sets.push(entry);
        &sets[sets.len() - 1].1
    }

    /// Marks in `reached` (the ancestor set of `from`; empty with `from` past
    /// every position) what `head` reaches that it does not. Whether `from` is
    /// `head` or one of its ancestors: then `reached` is now `head`'s ancestor
    /// set; else it is left as it was. The walk stops at every marked commit,
    /// none of which lies on a path from `head` to `from` but `from` itself.
    fn extend_reach(&self, reached: &mut Vec<bool>, from: usize, head: usize) -> bool {
        reached.resize(self.generations.len(), false);
        let mut marked = Vec::new();
        let mut found = from == usize::MAX;
        let mut stack = vec![head];
        while let Some(c) = stack.pop() {
            if reached[c] {
                found |= c == from;
                continue;
            }
            reached[c] = true;
            marked.push(c);
            stack.extend(&self.parents[c]);
        }
        if !found {
            for c in marked {
                reached[c] = false;
            }
        }
        found
    }

    /// [`CommitGraph::merge_base`] by walking both histories newest first
    /// (every descendant of a commit comes out before it, so what reached a
    /// commit is known when it comes out), stopping at the first commit both
    /// reach, having visited only the commits newer than it.
    #[cfg(test)]
    fn merge_base_by_walk(&self, a: usize, b: usize) -> Option<usize> {
        const FROM_A: u8 = 1;
        const FROM_B: u8 = 2;
        let mut reached = vec![0u8; self.generations.len()];
        let mut queue = BinaryHeap::new();
        for (c, from) in [(a, FROM_A), (b, FROM_B)] {
            if reached[c] == 0 {
                queue.push((self.generations[c], c));
            }
            reached[c] |= from;
        }
        while let Some((_, c)) = queue.pop() {
            if reached[c] == FROM_A | FROM_B {
                return Some(c);
            }
            for &p in &self.parents[c] {
                if reached[p] == 0 {
                    queue.push((self.generations[p], p));
                }
                reached[p] |= reached[c];
            }
        }
        None
    }
}

/// A repository's git data: its refs, its commits and their graph.
///
/// Guarantees: every recorded commit is in the graph with its recorded parents
/// (parents not recorded here are left out of the walks); the walks below visit
/// only the commits newer than what they look for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Git {
    /// Full ref name (`refs/heads/main`) -> commit sha.
    pub refs: BTreeMap<String, String>,
    commits: BTreeMap<String, Commit>,
    graph: CommitGraph,
    /// Every tree a commit has or the Git Data API wrote, by id (clones share their parts).
    trees: BTreeMap<String, Tree>,
    /// Every blob a commit added or the Git Data API wrote, by id.
    blobs: BTreeMap<String, Blob>,
}

impl Git {
    /// The commit `branch` points at.
    pub(crate) fn branch_sha(&self, branch: &str) -> Option<&String> {
        self.refs.get(&format!("refs/heads/{branch}"))
    }

    /// Points `branch` at `sha`.
    pub(crate) fn set_branch(&mut self, branch: &str, sha: String) {
        self.refs.insert(format!("refs/heads/{branch}"), sha);
    }

    pub(crate) fn commit(&self, sha: &str) -> Option<&Commit> {
        self.commits.get(sha)
    }

    /// Stores a commit and enters it in the commit graph; its tree and the blobs
    /// it changed since its first parent become readable by id.
    pub(crate) fn record(&mut self, mut commit: Commit) {
        let parents: Vec<usize> =
            commit.parents.iter().filter_map(|p| self.commits.get(p)).map(|p| p.position).collect();
        commit.position = self.graph.add(&commit.sha, parents);
        let empty = Tree::default();
        let parent_tree = commit.parents.first().and_then(|p| self.commits.get(p)).map_or(&empty, |p| &p.files);
        for (_, _, after) in parent_tree.changes(&commit.files) {
            if let Some(blob) = after {
                self.blobs.entry(blob.sha.clone()).or_insert_with(|| blob.clone());
            }
        }
        self.trees.insert(commit.files.sha(), commit.files.clone());
        self.commits.insert(commit.sha.clone(), commit);
    }

    /// Keeps a blob written through the Git Data API.
    pub(crate) fn store_blob(&mut self, blob: Blob) {
        self.blobs.insert(blob.sha.clone(), blob);
    }

    /// Keeps a tree written through the Git Data API.
    pub(crate) fn store_tree(&mut self, tree: Tree) {
        self.trees.insert(tree.sha(), tree);
    }

    pub(crate) fn blob(&self, sha: &str) -> Option<&Blob> {
        self.blobs.get(sha)
    }

    pub(crate) fn tree(&self, sha: &str) -> Option<&Tree> {
        self.trees.get(sha)
    }

    /// A commit sha, a branch name or a full ref, resolved to its commit.
    pub(crate) fn resolve(&self, name: &str) -> Option<&Commit> {
        let name = name.trim_start_matches("refs/heads/");
        self.commits.get(name).or_else(|| self.branch_sha(name).and_then(|sha| self.commits.get(sha)))
    }

    /// The commits `head` reaches that `base` does not (all of them without a
    /// base), newest first (highest generation, then latest recorded), as
    /// GitHub lists a history.
    pub(crate) fn history(&self, head: &str, base: Option<&str>) -> Vec<&Commit> {
        let Some(head) = self.commits.get(head) else {
            return Vec::new();
        };
        let mut seen = vec![false; self.graph.generations.len()];
        let walk = |from: usize, seen: &mut Vec<bool>| {
            let (mut stack, mut found) = (vec![from], Vec::new());
            while let Some(c) = stack.pop() {
                if !std::mem::replace(&mut seen[c], true) {
                    found.push(c);
                    stack.extend(&self.graph.parents[c]);
                }
            }
            found
        };
        if let Some(base) = base.and_then(|b| self.commits.get(b)) {
            walk(base.position, &mut seen);
        }
        let mut found = walk(head.position, &mut seen);
        found.sort_by_key(|&c| std::cmp::Reverse((self.graph.generations[c], c)));
        found.into_iter().filter_map(|c| self.commits.get(&self.graph.shas[c])).collect()
    }

    /// Whether `maybe_ancestor` is `of` or one of its ancestors. Visits only the
    /// commits of `of`'s history newer than `maybe_ancestor`.
    pub(crate) fn is_ancestor(&self, maybe_ancestor: &str, of: &str) -> bool {
        match (self.commits.get(maybe_ancestor), self.commits.get(of)) {
            (Some(x), Some(of)) => self.graph.is_ancestor(x.position, of.position),
            _ => maybe_ancestor == of,
        }
    }

    /// The nearest common ancestor of `a` and `b` (see [`CommitGraph::merge_base`]).
    pub(crate) fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let (a, b) = (self.commits.get(a)?, self.commits.get(b)?);
        let base = self.graph.merge_base(a.position, b.position)?;
        Some(self.graph.shas[base].clone())
    }

    /// Three-way merge of `theirs` into `ours`: the merged tree, or the paths
    /// both sides changed differently. Only the paths `theirs` changed since the
    /// merge base are looked at; every other path is `ours`.
    pub(crate) fn merge_trees(&self, ours: &str, theirs: &str) -> Result<Tree, Vec<String>> {
        let empty = Tree::default();
        let tree = |sha: &str| self.commits.get(sha).map_or(&empty, |c| &c.files);
        let base = self.merge_base(ours, theirs).map_or(&empty, |b| tree(&b));
        let (o, t) = (tree(ours), tree(theirs));
        let mut merged = o.clone();
        let mut conflicts = Vec::new();
        for (path, before, after) in base.changes(t) {
            let current = o.get(path);
            if current == after {
                continue;
            }
            if current != before {
                conflicts.push(path.clone());
                continue;
            }
            match after {
                Some(blob) => merged.insert(path.clone(), blob.clone()),
                None => merged.remove(path),
            }
        }
        if conflicts.is_empty() {
            Ok(merged)
        } else {
            Err(conflicts)
        }
    }
}

/// A blob id derived from the content (equal content, equal id).
pub(crate) fn blob_sha(content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    crate::ids::lower_hex(&h.finalize()[..20])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use proptest::prelude::*;

    /// A history step: commit a file (or delete it) on a branch, point a branch
    /// at another's head, or merge one branch into another.
    #[derive(Debug, Clone)]
    enum Step {
        Write { branch: usize, path: usize, content: Option<u8> },
        Point { branch: usize, at: usize },
        Merge { from: usize, into: usize },
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            4 => (0..4usize, 0..5usize, prop::option::weighted(0.8, 0..3u8))
                .prop_map(|(branch, path, content)| Step::Write { branch, path, content }),
            1 => (0..4usize, 0..4usize).prop_map(|(branch, at)| Step::Point { branch, at }),
            2 => (0..4usize, 0..4usize).prop_map(|(from, into)| Step::Merge { from, into }),
        ];
        prop::collection::vec(step, 1..40)
    }

    fn repo() -> Git {
        let mut repo = Git::default();
        let mut files = Tree::default();
        files.insert("README.md".into(), Blob::new(&b"# r\n"[..]));
        commit(&mut repo, vec![], files);
        for b in 0..4 {
            repo.set_branch(&format!("b{b}"), "c000".into());
        }
        repo
    }

    fn commit(repo: &mut Git, parents: Vec<String>, files: Tree) -> String {
        let sha = format!("c{:03}", repo.commits.len());
        let c = Commit {
            sha: sha.clone(),
            parents,
            files,
            position: 0,
            message: String::new(),
            author: (String::new(), String::new()),
            date: 0,
        };
        repo.record(c);
        sha
    }

    fn head(repo: &Git, b: usize) -> String {
        repo.branch_sha(&format!("b{b}")).cloned().unwrap_or_default()
    }

    fn build(steps: &[Step]) -> Git {
        let mut repo = repo();
        for step in steps {
            apply(&mut repo, step);
        }
        repo
    }

    fn apply(repo: &mut Git, step: &Step) {
        match *step {
            Step::Write { branch, path, content } => {
                let parent = head(repo, branch);
                let mut files = repo.commits[&parent].files.clone();
                let path = format!("f{path}");
                match content {
                    Some(c) => files.insert(path, Blob::new(vec![c])),
                    None => files.remove(&path),
                }
                let sha = commit(repo, vec![parent], files);
                repo.set_branch(&format!("b{branch}"), sha);
            }
            Step::Point { branch, at } => {
                let sha = head(repo, at);
                repo.set_branch(&format!("b{branch}"), sha);
            }
            Step::Merge { from, into } => {
                let (theirs, ours) = (head(repo, from), head(repo, into));
                if let Ok(files) = repo.merge_trees(&ours, &theirs) {
                    let sha = commit(repo, vec![ours, theirs], files);
                    repo.set_branch(&format!("b{into}"), sha);
                }
            }
        }
    }

    fn ancestors(repo: &Git, sha: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![sha.to_string()];
        while let Some(s) = stack.pop() {
            if seen.insert(s.clone()) {
                stack.extend(repo.commits[&s].parents.iter().cloned());
            }
        }
        seen
    }

    fn files(tree: &Tree) -> BTreeMap<String, String> {
        tree.files.iter().map(|(p, b)| (p.clone(), b.sha.clone())).collect()
    }

    /// The three-way merge over whole trees: every path of base, ours and theirs.
    fn whole_tree_merge(
        base: &BTreeMap<String, String>,
        ours: &BTreeMap<String, String>,
        theirs: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Vec<String>> {
        let paths: BTreeSet<&String> = base.keys().chain(ours.keys()).chain(theirs.keys()).collect();
        let (mut merged, mut conflicts) = (BTreeMap::new(), Vec::new());
        for path in paths {
            let (b, x, y) = (base.get(path), ours.get(path), theirs.get(path));
            let pick = if x == y || y == b {
                x
            } else if x == b {
                y
            } else {
                conflicts.push(path.clone());
                continue;
            };
            if let Some(id) = pick {
                merged.insert(path.clone(), id.clone());
            }
        }
        if conflicts.is_empty() {
            Ok(merged)
        } else {
            Err(conflicts)
        }
    }

    /// Every branch head's merge base with every other's and every ancestry
    /// answer, by the kept ancestor sets and by walking both histories.
    fn check_against_walks(repo: &Git) -> Result<(), TestCaseError> {
        let heads: Vec<usize> = (0..4).map(|b| repo.commits[&head(repo, b)].position).collect();
        let graph = &repo.graph;
        for &a in &heads {
            for &b in &heads {
                prop_assert_eq!(
                    graph.merge_base(a, b),
                    graph.merge_base_by_walk(a, b),
                    "merge base of {} and {}",
                    a,
                    b
                );
            }
            for c in 0..graph.generations.len() {
                prop_assert_eq!(graph.is_ancestor(c, a), graph.is_ancestor_by_walk(c, a), "{} in {}", c, a);
            }
        }
        Ok(())
    }

    /// Lanes branched from `main` merged into it one after another, each asked
    /// about before and after its merge: the kept set of `main`'s ancestors is
    /// extended with each merge, not walked again, and answers as the walk does.
    #[test]
    fn a_run_of_merges_into_one_branch_extends_its_kept_ancestors() {
        let mut repo = repo();
        let main = |repo: &Git| repo.commits[&head(repo, 0)].position;
        let mut lanes = Vec::new();
        for lane in 0..40 {
            let mut files = repo.commits["c000"].files.clone();
            files.insert(format!("lane{lane}"), Blob::new(vec![lane as u8]));
            lanes.push(commit(&mut repo, vec!["c000".into()], files));
        }
        for lane in &lanes {
            let (ours, theirs) = (head(&repo, 0), lane.clone());
            let b = repo.commits[&theirs].position;
            assert_eq!(repo.graph.merge_base(main(&repo), b), repo.graph.merge_base_by_walk(main(&repo), b));
            let files = repo.merge_trees(&ours, &theirs).expect("lanes touch their own files");
            let merged = commit(&mut repo, vec![ours, theirs], files);
            repo.set_branch("b0", merged);
            assert_eq!(repo.graph.merge_base(main(&repo), b), Some(b), "a merged lane is its own base with main");
        }
        let sets = repo.graph.reach.0.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(sets.len(), 1, "one set, extended with every merge");
        assert_eq!(sets[0].0, main(&repo));
        for c in 0..repo.graph.generations.len() {
            assert_eq!(sets[0].1.get(c).copied().unwrap_or(false), repo.graph.is_ancestor_by_walk(c, sets[0].0));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// After every step of any history (commits recorded between the
        /// questions, branches moved back and forth, merges), the merge bases and
        /// ancestry answers from the kept ancestor sets are the walks' answers.
        #[test]
        fn kept_ancestor_sets_answer_as_the_walks_after_every_step(steps in steps()) {
            let mut repo = repo();
            check_against_walks(&repo)?;
            for step in &steps {
                apply(&mut repo, step);
                check_against_walks(&repo)?;
            }
        }


        /// On any history of commits, branches and merges, the walks that visit
        /// only what they need agree with walking whole histories and merging
        /// whole trees.
        #[test]
        fn history_walks_and_merges_agree_with_whole_history_ones(steps in steps()) {
            let repo = build(&steps);
            let shas: Vec<&String> = repo.commits.keys().collect();
            for a in &shas {
                let from_a = ancestors(&repo, a);
                for c in &from_a {
                    let generation = |sha: &str| repo.graph.generation(repo.commits[sha].position);
                    prop_assert!(c == *a || generation(c) < generation(a));
                }
                for b in &shas {
                    prop_assert_eq!(repo.is_ancestor(b, a), from_a.contains(*b), "{} in {}", b, a);
                    let from_b = ancestors(&repo, b);
                    let common: BTreeSet<&String> = from_a.intersection(&from_b).collect();
                    let base = repo.merge_base(a, b).expect("histories share the root commit");
                    prop_assert!(common.contains(&base), "{} is not an ancestor of both {} and {}", base, a, b);
                    // No common ancestor is newer than it (it is a best common ancestor).
                    for c in &common {
                        prop_assert!(**c == base || !ancestors(&repo, c).contains(&base), "{} is newer than {}", c, base);
                    }
                    let expected = whole_tree_merge(
                        &files(&repo.commits[&base].files),
                        &files(&repo.commits[*a].files),
                        &files(&repo.commits[*b].files),
                    );
                    let merged = repo.merge_trees(a, b);
                    prop_assert_eq!(merged.as_ref().map(files).map_err(Clone::clone), expected);
                    if let Ok(tree) = merged {
                        // The same files give the same tree id, however they were written.
                        let mut fresh = Tree::default();
                        for (path, blob) in tree.files.iter().rev() {
                            fresh.insert(path.clone(), blob.clone());
                        }
                        prop_assert_eq!(fresh.sha(), tree.sha());
                    }
                }
            }
        }
    }

    #[test]
    fn a_tree_id_follows_its_files_not_how_they_were_written() {
        let mut a = Tree::default();
        a.insert("x".into(), Blob::new(&b"1"[..]));
        let empty = a.sha();
        a.insert("y".into(), Blob::new(&b"2"[..]));
        a.insert("y".into(), Blob::new(&b"3"[..]));
        let mut b = Tree::default();
        b.insert("y".into(), Blob::new(&b"3"[..]));
        b.insert("x".into(), Blob::new(&b"1"[..]));
        assert_eq!(a.sha(), b.sha());
        a.remove("y");
        assert_eq!(a.sha(), empty);
        assert_ne!(a.sha(), b.sha());
    }
}
