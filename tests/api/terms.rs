//! One term for each stage (DESIGN §2): the pages, emails, official documents (PDF texts are
//! written in `src/pdf`) and the demo never use a known synonym of a stage's name.

use std::path::{Path, PathBuf};

/// (variant that must not reappear, the one term used instead).
const FORBIDDEN: &[(&str, &str)] = &[
    ("资格审查", "形式审查"),
    ("资格审核", "形式审查"),
    ("形式审核", "形式审查"),
    ("申请书", "申报书"),
    ("结项评估", "末期评估"),
    ("终期评估", "末期评估"),
    ("期末评估", "末期评估"),
    ("中期检查", "中期评估"),
    ("中期考核", "中期评估"),
    ("复评", "再评估"),
    ("资助协议", "项目协议书"),
    ("资助合同", "项目协议书"),
    ("项目合同", "项目协议书"),
    ("资助通知书", "立项通知书"),
    ("立项通知单", "立项通知书"),
    ("公告期", "公示期"),
    ("续签", "续期资助"),
    ("延续资助", "续期资助"),
];

/// Where the product's words live: templates (pages and emails), the locale files, the
/// PDF and email builders, and the demo's texts.
const ROOTS: &[&str] = &[
    "templates",
    "locales",
    "src/pdf",
    "src/mail",
    "src/cli/demo.rs",
];

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            files(&e.unwrap().path(), out);
        }
    } else {
        out.push(p.to_path_buf());
    }
}

#[test]
fn every_stage_has_one_name_in_every_page_email_and_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for r in ROOTS {
        files(&root.join(r), &mut all);
    }
    assert!(all.len() > 20, "the sources were found: {all:?}");
    let mut found = Vec::new();
    for f in &all {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for (bad, good) in FORBIDDEN {
                if line.contains(bad) {
                    found.push(format!(
                        "{}:{}: “{bad}” — write “{good}”",
                        f.strip_prefix(root).unwrap_or(f).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "stage names with a synonym:\n{}",
        found.join("\n")
    );
}
