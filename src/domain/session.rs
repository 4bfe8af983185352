//! Sessions: the rules for what a session row keeps and when it is touched or purged.

use chrono::{Duration, NaiveDateTime};

str_enum!(
    /// How a session was started: a page sign-in (cookie) or an API token (bearer).
    SessionKind {
        Page = "page",
        Api = "api",
    }
);

/// The longest user agent kept, in characters: enough to tell devices apart.
pub const USER_AGENT_MAX_CHARS: usize = 256;

/// How stale `last_seen_at` may get before a request updates it; reads stay cheap.
pub fn touch_after() -> Duration {
    Duration::minutes(5)
}

/// How long an ended (expired or revoked) session is kept before the worker deletes it.
pub fn keep_ended() -> Duration {
    Duration::days(7)
}

/// The user agent as stored: control characters dropped, at most `USER_AGENT_MAX_CHARS`.
pub fn bounded_user_agent(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Whether a request seen at `now` should record itself as the session's last use.
pub fn needs_touch(last_seen: NaiveDateTime, now: NaiveDateTime) -> bool {
    now - last_seen >= touch_after()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_bounded_and_cleaned() {
        let long = "A".repeat(1000);
        assert_eq!(
            bounded_user_agent(&long).chars().count(),
            USER_AGENT_MAX_CHARS
        );
        assert_eq!(
            bounded_user_agent(" Mozilla/5.0\u{0}\n(X11) "),
            "Mozilla/5.0(X11)"
        );
        let cjk = "浏".repeat(300);
        assert_eq!(
            bounded_user_agent(&cjk).chars().count(),
            USER_AGENT_MAX_CHARS
        );
    }

    #[test]
    fn last_seen_is_touched_only_after_a_few_minutes() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        assert!(!needs_touch(t, t + Duration::seconds(299)));
        assert!(needs_touch(t, t + Duration::minutes(5)));
    }

    #[test]
    fn kinds_round_trip() {
        for k in SessionKind::ALL {
            assert_eq!(SessionKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(SessionKind::parse("cookie"), None);
    }
}
