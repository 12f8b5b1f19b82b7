//! Printing an [`Outcome`] as text, JSON or GitHub workflow commands.

use super::args::OutputFormat;
use super::Outcome;

pub fn print(outcome: &Outcome, format: OutputFormat, file: &str) {
    match format {
        OutputFormat::Text => print!("{}", text(outcome, file)),
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(outcome).expect("serializes")
        ),
        OutputFormat::Github => print!("{}", github(outcome, file)),
    }
}

fn text(outcome: &Outcome, file: &str) -> String {
    let against = outcome
        .against
        .as_deref()
        .map(|a| format!(" with {a}"))
        .unwrap_or_default();
    let mut out = String::new();
    for note in &outcome.notes {
        out.push_str(note);
        out.push('\n');
    }
    if outcome.compatible {
        out.push_str(&format!("{file}: compatible ({})\n", outcome.level));
        return out;
    }
    out.push_str(&format!(
        "{file}: incompatible{against} ({}), {} change(s):\n",
        outcome.level,
        outcome.changes.len()
    ));
    for c in &outcome.changes {
        let rule = c.rule.as_deref().unwrap_or("INCOMPATIBLE");
        match &c.path {
            Some(path) => out.push_str(&format!("  {rule} at {path}: {}\n", c.message)),
            None => out.push_str(&format!("  {rule}: {}\n", c.message)),
        }
    }
    out
}

/// GitHub's workflow-command escaping for a message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// And for a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(outcome: &Outcome, file: &str) -> String {
    let file = escape_property(file);
    if outcome.compatible {
        return format!(
            "::notice file={file},title=compatible::compatible ({})\n",
            outcome.level
        );
    }
    outcome
        .changes
        .iter()
        .map(|c| {
            let title = escape_property(c.rule.as_deref().unwrap_or("INCOMPATIBLE"));
            let at = c
                .path
                .as_deref()
                .map(|p| format!("{p}: "))
                .unwrap_or_default();
            format!(
                "::error file={file},title={title}::{}\n",
                escape_data(&format!("{at}{}", c.message))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Item;

    fn outcome() -> Outcome {
        Outcome {
            compatible: false,
            against: Some("v1.avsc".into()),
            level: "BACKWARD".into(),
            changes: vec![Item {
                rule: Some("TYPE_MISMATCH".into()),
                path: Some("/fields/0/type".into()),
                message: "100% wrong, really".into(),
            }],
            notes: vec![],
        }
    }

    #[test]
    fn text_names_rule_path_and_message() {
        assert_eq!(
            text(&outcome(), "v2.avsc"),
            "v2.avsc: incompatible with v1.avsc (BACKWARD), 1 change(s):\n  TYPE_MISMATCH at /fields/0/type: 100% wrong, really\n"
        );
    }

    #[test]
    fn github_annotations_are_escaped() {
        assert_eq!(
            github(&outcome(), "a,b.avsc"),
            "::error file=a%2Cb.avsc,title=TYPE_MISMATCH::/fields/0/type: 100%25 wrong, really\n"
        );
    }
}
