//! The human format: `path:line:col rule message -> replacement`, the source line,
//! and the offending span underlined with `^`.

use std::io::{self, Write};

use super::report::{Report, Violation};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for v in &report.violations {
        write_violation(v, out)?;
    }
    let s = &report.summary;
    let mut extras = Vec::new();
    if s.suppressed > 0 {
        extras.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        extras.push(format!("{} baselined", s.baselined));
    }
    if s.fixed > 0 {
        extras.push(format!("{} fixed", s.fixed));
    }
    let extras = if extras.is_empty() { String::new() } else { format!(", {}", extras.join(", ")) };
    // Never "clean" when files were skipped: what they hold is unknown (each is named on stderr).
    let skipped = match s.files_skipped {
        0 => String::new(),
        n => format!("; {n} not checked (skipped: see the warnings)"),
    };
    if s.files_checked == 0 && s.violations == 0 {
        return match report.nothing_checked() {
            Some(why) => writeln!(out, "{why}{skipped}"),
            None => writeln!(out, "nothing checked: the {} files named are excluded by the config", s.files_excluded),
        };
    }
    match (s.violations, s.files_skipped) {
        (0, 0) => writeln!(out, "clean: {} files checked{extras}", s.files_checked),
        (0, _) => writeln!(out, "no violations in {} files checked{extras}{skipped}", s.files_checked),
        _ => writeln!(
            out,
            "{} violations ({} errors, {} warnings) in {} files checked{extras}{skipped}",
            s.violations, s.errors, s.warnings, s.files_checked
        ),
    }
}

fn write_violation(v: &Violation, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "{}:{}:{} {} {}", v.path, v.line, v.column, v.rule, v.message)?;
    if let Some(r) = &v.replacement {
        write!(out, " -> {r}")?;
    }
    writeln!(out)?;
    let number = v.line.to_string();
    let pad = " ".repeat(number.len());
    writeln!(out, " {number} | {}", v.line_text)?;
    let line_chars = v.line_text.chars().count();
    let end = if v.end_line == v.line { v.end_column } else { line_chars + 1 };
    let lead: String = v.line_text.chars().take(v.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let width = end.saturating_sub(v.column).max(1);
    writeln!(out, " {pad} | {lead}{}", "^".repeat(width))
}
