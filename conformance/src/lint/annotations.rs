//! GitHub Actions workflow-command annotations (`--format github`).
//!
//! Guarantees:
//! - data and properties are escaped as `@actions/core` escapes them: `%` -> `%25`,
//!   `\r` -> `%0D`, `\n` -> `%0A`, and in properties also `:` -> `%3A`, `,` -> `%2C`;
//! - GitHub shows at most 10 error and 10 warning annotations per step: the first
//!   10 of each kind are annotated, the rest are printed as plain log lines and
//!   counted in one closing `::notice`.

use std::io::{self, Write};

use super::report::Report;
use super::rule::Severity;

/// Annotations of one kind GitHub shows per step.
pub const PER_STEP_LIMIT: usize = 10;

/// Escapes workflow-command data (the message).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut overflow = Vec::new();
    // A run that checked nothing says so first; then files not checked: a run that
    // skipped something is not clean.
    if let Some(why) = report.nothing_checked() {
        errors += 1;
        writeln!(out, "::error title={}::{}", escape_property("squadsim lint: nothing checked"), escape_data(why))?;
    }
    for s in &report.skipped {
        let (command, shown) = if s.explicit { ("error", &mut errors) } else { ("warning", &mut warnings) };
        let message = format!("not checked: {}", s.reason);
        if *shown < PER_STEP_LIMIT {
            *shown += 1;
            writeln!(
                out,
                "::{command} file={},title={}::{}",
                escape_property(&s.path),
                escape_property("squadsim lint: skipped file"),
                escape_data(&message)
            )?;
        } else {
            overflow.push(format!("{} {message}", s.path));
        }
    }
    for v in &report.violations {
        let (command, shown) = match v.severity {
            Severity::Error => ("error", &mut errors),
            Severity::Warning => ("warning", &mut warnings),
        };
        let mut message = v.message.clone();
        if let Some(r) = &v.replacement {
            message.push_str(&format!(" -> {r}"));
        }
        if *shown < PER_STEP_LIMIT {
            *shown += 1;
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&v.path),
                v.line,
                v.column,
                v.end_line,
                v.end_column,
                escape_property(&v.rule),
                escape_data(&message)
            )?;
        } else {
            overflow.push(format!("{}:{}:{} {} {}", v.path, v.line, v.column, v.rule, message));
        }
    }
    for line in &overflow {
        // plain log lines: a line starting with `::` would be read as a command
        writeln!(out, "  {}", line.replace(['\r', '\n'], " "))?;
    }
    if !overflow.is_empty() {
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("squadsim lint"),
            escape_data(&format!(
                "{} more violations are listed in the log above without annotations (GitHub shows {} errors and {} warnings per step); {} violations in all",
                overflow.len(),
                PER_STEP_LIMIT,
                PER_STEP_LIMIT,
                report.violations.len()
            ))
        )?;
    }
    Ok(())
}
