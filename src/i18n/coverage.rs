//! Every locale key the code and the templates use is in both locale files.
//!
//! Literal keys are read from the sources by their call forms (`t("…")`, `tf(lang, "…")`,
//! `Msg::new("…")`, `label("prefix", …)`, and the action and entity type of audit `Change`s);
//! keys built from a closed set (`TypeName.value`, `org_status.value`, `email.kind.subject`, …)
//! are enumerated from the enums themselves.

use std::collections::BTreeSet;
use std::path::Path;

use super::tables;
use crate::domain::{
    account, assignment, award, change, evaluation, org, outbox, project, proposal, report, round,
    session, tasks, visit,
};

/// The files under `dir` (recursively) whose names end with one of `exts`, with their text.
fn sources(dir: &Path, exts: &[&str], out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, exts, out);
        } else if exts.iter().any(|x| path.to_string_lossy().ends_with(x)) {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A locale key: dotted lower-case words (`section.name`, `TypeName.value`).
fn looks_like_key(s: &str) -> bool {
    s.contains('.')
        && !s.starts_with('.')
        && !s.ends_with('.')
        && s.chars().all(|c| is_ident(c) || c == '.')
}

/// The string literal at the start of `s` (after spaces), if there is one.
fn literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// Skips one simple argument (`lang`, `to.lang`, `Lang::Zh`, `self.0`) and its comma.
fn skip_arg(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let end = s.find(|c: char| !(is_ident(c) || c == '.' || c == ':' || c == '&'))?;
    (end > 0).then_some(())?;
    s[end..].trim_start().strip_prefix(',')
}

/// The text after each call of `name(` in `text`, where `name` is a whole identifier.
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let pat = format!("{name}(");
    text.match_indices(pat.as_str())
        .filter(|(i, _)| !text[..*i].ends_with(is_ident))
        .map(|(i, _)| &text[i + pat.len()..])
        .collect()
}

/// Keys used literally in `text`, and the prefixes of `label("prefix", value)` calls.
fn used_keys(text: &str, keys: &mut BTreeSet<String>, prefixes: &mut BTreeSet<String>) {
    let mut add = |k: Option<&str>| {
        if let Some(k) = k.filter(|k| looks_like_key(k)) {
            keys.insert(k.to_string());
        }
    };
    for name in ["t", "tf"] {
        for rest in calls(text, name) {
            add(literal(rest));
            add(skip_arg(rest).and_then(literal));
        }
    }
    for rest in calls(text, "Msg::new") {
        add(literal(rest));
    }
    // Reasons the system writes are stored as keys (`reason.…`) and shown translated.
    for (i, _) in text.match_indices(".reason(") {
        add(literal(&text[i + ".reason(".len()..]));
    }
    for (i, _) in text.match_indices("\"reason.") {
        add(literal(&text[i..]));
    }
    for rest in calls(text, "label") {
        if let Some(p) = literal(rest) {
            prefixes.insert(p.to_string());
        }
    }
    // Audit entries are shown as `action.<action>` and `entity.<entity type>`: the action is
    // the second argument of `Change::new` (a literal, a choice between literals, or a
    // variable bound to one by a `let` before the call), the entity type the third.
    for (at, _) in text.match_indices("Change::new(") {
        let args = arguments(&text[at + "Change::new(".len()..]);
        let (Some(action), Some(entity)) = (args.get(1), args.get(2)) else {
            continue;
        };
        let mut actions = literals(action);
        let name = action.trim();
        if actions.is_empty() && !name.is_empty() && name.chars().all(is_ident) {
            let binding = format!("let {name} =");
            if let Some(from) = text[..at].rfind(&binding) {
                let statement = &text[from..at];
                let end = statement.find(';').unwrap_or(statement.len());
                actions = literals(&statement[..end]);
            }
        }
        keys.extend(
            actions
                .iter()
                .filter(|a| looks_like_key(a))
                .map(|a| format!("action.{a}")),
        );
        if let Some(entity) = literal(entity) {
            keys.insert(format!("entity.{entity}"));
        }
    }
}

/// The top-level arguments of a call, from just after its `(` to the matching `)`.
fn arguments(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut in_str) = (0usize, 0usize, false);
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_str = !in_str,
            _ if in_str => {}
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                out.push(&s[start..i]);
                return out;
            }
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The string literals in `s`.
fn literals(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

/// The values of each closed set whose labels are shown, by the prefix of their keys.
fn enumerated() -> Vec<(&'static str, Vec<&'static str>)> {
    macro_rules! sets {
        ($($t:ty),+ $(,)?) => {
            vec![$((
                stringify!($t).rsplit("::").next().unwrap(),
                <$t>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            )),+]
        };
    }
    let mut sets = sets!(
        change::ChangeKind,
        change::ChangeStatus,
        change::ChangeOutcome,
        assignment::ReviewStatus,
        assignment::Recommendation,
        evaluation::Stage,
        evaluation::EvaluationStatus,
        evaluation::Recommendation,
        evaluation::Consequence,
        evaluation::Renewal,
        org::OrgKind,
        org::RegType,
        org::OrgStatus,
        org::Grade,
        org::Inspection,
        proposal::ProposalStatus,
        proposal::BudgetCategory,
        proposal::FundingSource,
        report::BeneficiaryGroup,
        round::RoundStatus,
        round::Aggregation,
        round::TrancheCondition,
        session::SessionKind,
        tasks::TaskKind,
        visit::VisitStatus,
        visit::ChecklistItem,
        visit::CheckResult,
        visit::VisitRating,
        visit::FindingStatus,
    );
    let values = |all: &[&'static str]| all.to_vec();
    sets.extend([
        (
            "role",
            account::Role::ALL.iter().map(|r| r.as_str()).collect(),
        ),
        (
            "user_status",
            account::UserStatus::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "org_status",
            org::OrgStatus::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "project_status",
            project::ProjectStatus::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "Trouble",
            project::Trouble::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "board_sort",
            crate::db::reviews::BoardSort::ALL
                .iter()
                .map(|(k, _)| *k)
                .collect(),
        ),
        (
            "project_sort",
            crate::db::projects::ProjectSort::ALL
                .iter()
                .map(|(k, _)| *k)
                .collect(),
        ),
        (
            "refund",
            project::RefundKind::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "report_kind",
            report::ReportKind::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "report_status",
            report::ReportStatus::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "tranche_status",
            report::TrancheStatus::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "line",
            award::AwardState::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "objection",
            award::ObjectionStatus::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        ("decision", values(&["forced_in", "forced_out"])),
        (
            "doc_kind",
            org::DocKind::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "project_file",
            project::ProjectFileKind::ALL
                .iter()
                .map(|v| v.as_str())
                .collect(),
        ),
        (
            "line_problem",
            values(&[
                "forced_in_does_not_fit",
                "forced_in_not_fundable",
                "negative_amount",
            ]),
        ),
    ]);
    // Evaluations write `project.<renewal>` and `project.<consequence>` audit entries.
    sets.push((
        "action.project",
        evaluation::Renewal::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(evaluation::Consequence::ALL.iter().map(|v| v.as_str()))
            .collect(),
    ));
    sets
}

#[test]
fn every_key_in_use_is_in_both_locales() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("templates"), &[".html", ".txt"], &mut files);
    sources(&root.join("src"), &[".rs"], &mut files);
    let mut keys = BTreeSet::new();
    let mut prefixes = BTreeSet::new();
    // This file names the call forms in its comments.
    for (_, text) in files.iter().filter(|(p, _)| !p.ends_with("coverage.rs")) {
        used_keys(text, &mut keys, &mut prefixes);
    }
    let sets = enumerated();
    // Audit actions and entity types are read from the `Change::new` calls above.
    for prefix in prefixes
        .iter()
        .filter(|p| !["action", "entity"].contains(&p.as_str()))
    {
        let (_, values) = sets
            .iter()
            .find(|(p, _)| p == prefix)
            .unwrap_or_else(|| panic!("label prefix {prefix:?} has no enumerated values"));
        keys.extend(values.iter().map(|v| format!("{prefix}.{v}")));
    }
    for (prefix, values) in &sets {
        keys.extend(values.iter().map(|v| format!("{prefix}.{v}")));
    }
    // Older reasons in prose are shown through their keys.
    keys.extend(
        crate::i18n::LEGACY_REASONS
            .iter()
            .map(|(_, key)| key.to_string()),
    );
    // Every email has a subject and a first line (the templates add only shared keys).
    for kind in outbox::MailKind::ALL {
        keys.extend([kind.subject_key(), kind.intro_key()]);
    }
    // A sanity check that the scan finds the call forms at all.
    for known in [
        "nav.login",
        "field.required",
        "action.user.password_changed",
        "action.report.accepted",
        "action.proposal.resubmitted",
        "entity.evaluation",
        "email.awarded.subject",
        "email.verify_email.intro",
    ] {
        assert!(keys.contains(known), "{known} not found by the scan");
    }
    let (zh, en) = tables();
    let missing: Vec<String> = keys
        .iter()
        .flat_map(|k| {
            [("zh-CN", zh), ("en", en)]
                .into_iter()
                .filter(|(_, table)| !table.contains_key(k))
                .map(move |(lang, _)| format!("{lang}: {k}"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "missing locale keys:\n{}",
        missing.join("\n")
    );
}
