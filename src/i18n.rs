//! UI strings in zh-CN (default) and English, from `locales/*.toml`, embedded at build time.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
    /// The first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next()?))
            .next()
    }
}

type Table = HashMap<String, String>;

fn flatten(prefix: &str, value: &toml::Value, out: &mut Table) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn load(src: &str) -> Table {
    let value: toml::Value = toml::from_str(src).expect("locale file is valid TOML");
    let mut out = Table::new();
    flatten("", &value, &mut out);
    out
}

fn tables() -> &'static (Table, Table) {
    static TABLES: OnceLock<(Table, Table)> = OnceLock::new();
    TABLES.get_or_init(|| {
        (
            load(include_str!("../locales/zh-CN.toml")),
            load(include_str!("../locales/en.toml")),
        )
    })
}

/// The string for `key` in `lang`, falling back to Chinese, then to the key itself (borrowed:
/// a missing key never allocates, so a client naming keys at will cannot grow memory).
pub fn t(lang: Lang, key: &str) -> &str {
    let (zh, en) = tables();
    let primary = if lang == Lang::En { en } else { zh };
    primary
        .get(key)
        .or_else(|| zh.get(key))
        .map(|s| s.as_str())
        .unwrap_or_else(|| {
            tracing::warn!(key, "missing translation");
            key
        })
}

/// `t` with `{name}` placeholders filled from `args`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Every key of the locale tables (both have the same keys; a test checks it).
pub fn keys() -> impl Iterator<Item = &'static str> {
    tables().1.keys().map(String::as_str)
}

/// The key is in the locale tables (any language).
pub fn has_key(key: &str) -> bool {
    let (zh, en) = tables();
    zh.contains_key(key) || en.contains_key(key)
}

/// A message to show a person: a locale key and its arguments, rendered in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Msg {
            key,
            args: Vec::new(),
        }
    }
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
    pub fn render(&self, lang: Lang) -> String {
        tf(lang, self.key, &self.args)
    }
}

#[cfg(test)]
mod coverage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_have_the_same_keys() {
        let (zh, en) = tables();
        let mut missing: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !zh.contains_key(*k)));
        missing.sort();
        assert!(
            missing.is_empty(),
            "keys missing in one locale: {missing:?}"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let s = tf(
            Lang::En,
            "error.too_many_attempts",
            &[("until", "12:00".into())],
        );
        assert!(s.contains("12:00"), "{s}");
    }

    #[test]
    fn accept_language_picks_first_supported() {
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-US;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn stored_reasons_are_translated_and_old_prose_too() {
        assert_eq!(
            reason_text("reason.deadline_passed", Lang::Zh),
            "申报截止，自动关闭"
        );
        assert_eq!(
            reason_text("deadline passed", Lang::Zh),
            "申报截止，自动关闭"
        );
        assert_eq!(reason_text("deadline passed", Lang::En), "Deadline passed");
        assert_eq!(reason_text("材料不全", Lang::En), "材料不全");
        assert_eq!(reason_text("nav.login", Lang::En), "nav.login");
        for (_, key) in LEGACY_REASONS {
            assert!(has_key(key), "{key}");
        }
    }

    #[test]
    fn a_missing_key_is_borrowed_not_leaked() {
        let key = String::from("flash.no_such_key_8f3a");
        let shown = t(Lang::En, &key);
        assert_eq!(shown, key);
        assert!(
            std::ptr::eq(shown, key.as_str()),
            "the key itself comes back"
        );
        assert!(!has_key(&key));
        assert!(has_key("error.not_found"));
    }
}

/// Reasons the system wrote in English before they were stored as keys, and their keys.
pub const LEGACY_REASONS: &[(&str, &str)] = &[
    ("deadline passed", "reason.deadline_passed"),
    ("account disabled", "reason.account_disabled"),
    ("command line", "reason.command_line"),
    (
        "演示数据：统一演示密码 / demo data: the shared demo password",
        "reason.demo_password",
    ),
    (
        "演示数据：扩充到测量规模 / demo data: grown to a measurement size",
        "reason.demo_scale",
    ),
    ("末期评估不合格", "reason.final_evaluation_failed"),
];

/// A stored reason as `lang` reads it. Reasons the system writes are stored as locale keys
/// (`reason.deadline_passed`) and shown translated; older entries in English prose are
/// shown through their key too; what a person wrote is shown as written.
pub fn reason_text(stored: &str, lang: Lang) -> String {
    let key = LEGACY_REASONS
        .iter()
        .find(|(old, _)| *old == stored)
        .map(|(_, key)| *key)
        .unwrap_or(stored);
    if key.starts_with("reason.") && has_key(key) {
        t(lang, key).to_string()
    } else {
        stored.to_string()
    }
}

/// A translator handed to templates: `{{ tr.t("key") }}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        t(self.0, key)
    }
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }
    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }
}
