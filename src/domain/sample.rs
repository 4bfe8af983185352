//! The evaluator's call-back sample (抽样回访, issue 15): which beneficiaries of a project's
//! roster the evaluator phones or visits, and what the answers say about the reported figures.
//!
//! - **Unique persons.** A person of a project is one identity (the keyed hash of a phone or
//!   ID number) when the roster line carries one, else one (group, trimmed name) — the rule the
//!   rosters use for counting. A person is drawn in the group of their first roster line.
//! - **Size per group** (`n` persons): ⌈n × rate⌉, at least the round's minimum (capped by
//!   `n`), at most `n`.
//! - **Reproducible draw.** No random generator whose output could change with a crate
//!   version: each person is ranked by SHA-256(seed ‖ 0x00 ‖ person key) and the first `k` of
//!   each group are drawn. The seed (random, recorded with who drew and when) is shown to the
//!   officer, who can derive the same sample again ([`rederive`]).
//! - **Estimates, in integers.** Per group the confirmed rate is confirmed ÷ reached (people not
//!   reached say nothing either way); the verified count is roster count × confirmed ÷ reached,
//!   rounded down (a verified figure never claims more than the sample supports). Rates are
//!   basis points rounded down. Satisfaction % is the share of answers in the satisfied half of
//!   the round's scale (above its midpoint: 4 and 5 of 5 points), rounded half up.
//! - **Threshold.** A complete sample (every sampled person recorded) whose overall confirmed
//!   rate is below the round's threshold flags the evaluation for the officer.

use sha2::{Digest, Sha256};

use crate::error::FieldErrors;
use crate::i18n::Msg;

/// The round's rules on sampling (part of `RoundRules`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SampleRules {
    /// Share of each group's unique persons drawn, basis points (5% = 500).
    pub rate_bp: i64,
    /// At least this many per group (capped by the group's size).
    pub min_per_group: i32,
    /// An overall confirmed rate below this (basis points, 80% = 8000) flags the evaluation.
    pub confirmed_threshold_bp: i64,
    /// Points of the satisfaction scale (5: 1 very dissatisfied … 5 very satisfied).
    pub satisfaction_scale: i32,
}

impl Default for SampleRules {
    fn default() -> Self {
        SampleRules {
            rate_bp: 500,
            min_per_group: 10,
            confirmed_threshold_bp: 8000,
            satisfaction_scale: 5,
        }
    }
}

/// The scales a round may choose.
pub const SCALES: std::ops::RangeInclusive<i32> = 2..=10;

/// The round's sampling rules make sense; problems keyed by the round form's fields.
pub fn check_rules(r: &SampleRules, e: &mut FieldErrors) {
    if !(1..=10_000).contains(&r.rate_bp) {
        e.add(
            "sample_rate",
            Msg::new("field.number_range")
                .arg("min", "0.01%")
                .arg("max", "100%"),
        );
    }
    if !(0..=1000).contains(&r.min_per_group) {
        e.add(
            "sample_min",
            Msg::new("field.number_range")
                .arg("min", 0)
                .arg("max", 1000),
        );
    }
    if !(0..=10_000).contains(&r.confirmed_threshold_bp) {
        e.add(
            "sample_threshold",
            Msg::new("field.number_range")
                .arg("min", "0%")
                .arg("max", "100%"),
        );
    }
    if !SCALES.contains(&r.satisfaction_scale) {
        e.add(
            "sample_scale",
            Msg::new("field.number_range")
                .arg("min", SCALES.start())
                .arg("max", SCALES.end()),
        );
    }
}

/// What a sample keeps of a person: SHA-256 of their key, hex (neither name nor number).
pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A person's place in the draw under `seed`: SHA-256(seed ‖ 0x00 ‖ key).
fn rank(seed: &str, key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    h.finalize().into()
}

/// A fresh seed: 128 random bits, hex.
pub fn new_seed() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// One roster line as the draw reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLine {
    pub entry_id: i64,
    pub grp: String,
    pub name: String,
    pub id_hash: Option<String>,
}

/// A unique person of the roster: their key, group (of their first line) and first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    key: String,
    pub group: String,
    pub entry_id: i64,
}

/// The unique persons of a roster, by their first line (lowest id).
pub fn unique_persons(lines: &[RosterLine]) -> Vec<Person> {
    let mut sorted: Vec<&RosterLine> = lines.iter().collect();
    sorted.sort_by_key(|l| l.entry_id);
    let mut seen = std::collections::HashSet::new();
    sorted
        .into_iter()
        .filter_map(|l| {
            let key = super::roster::person_key(&l.grp, &l.name, l.id_hash.as_deref());
            seen.insert(key.clone()).then(|| Person {
                key,
                group: l.grp.trim().to_string(),
                entry_id: l.entry_id,
            })
        })
        .collect()
}

/// How many of a group of `population` unique persons are drawn.
pub fn sample_size(population: usize, r: &SampleRules) -> usize {
    let n = population as i64;
    let by_rate = (n * r.rate_bp.max(0) + 9_999) / 10_000;
    let at_least = i64::from(r.min_per_group.max(0)).min(n);
    by_rate.max(at_least).min(n) as usize
}

/// One group of a drawn sample.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct GroupDraw {
    /// The beneficiary group's code (`elderly`, …).
    pub group: String,
    /// Unique persons of the group in the roster when drawn.
    pub population: i64,
    /// Persons drawn.
    pub size: i64,
    /// SHA-256 of the group's sorted person digests: whether the roster is still the same.
    pub population_digest: String,
}

/// One drawn person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub group: String,
    /// [`digest`] of the person's key.
    pub digest: String,
    /// The person's first roster line.
    pub entry_id: i64,
}

/// A drawn sample: per group (in code order) its sizes, and the persons in draw order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub groups: Vec<GroupDraw>,
    pub persons: Vec<Drawn>,
}

/// Draws the sample of `persons` under `seed`: per group, the first [`sample_size`] persons by
/// [`rank`] (ties, impossible in practice, by key).
pub fn draw(seed: &str, persons: &[Person], r: &SampleRules) -> Draw {
    let mut groups: std::collections::BTreeMap<&str, Vec<&Person>> = Default::default();
    for p in persons {
        groups.entry(p.group.as_str()).or_default().push(p);
    }
    let mut out = Draw {
        groups: Vec::new(),
        persons: Vec::new(),
    };
    for (group, mut members) in groups {
        let mut digests: Vec<String> = members.iter().map(|p| digest(&p.key)).collect();
        digests.sort();
        let population_digest = hex::encode(Sha256::digest(digests.join("\n").as_bytes()));
        members.sort_by(|a, b| {
            rank(seed, &a.key)
                .cmp(&rank(seed, &b.key))
                .then(a.key.cmp(&b.key))
        });
        let k = sample_size(members.len(), r);
        out.groups.push(GroupDraw {
            group: group.to_string(),
            population: members.len() as i64,
            size: k as i64,
            population_digest,
        });
        out.persons
            .extend(members.into_iter().take(k).map(|p| Drawn {
                group: group.to_string(),
                digest: digest(&p.key),
                entry_id: p.entry_id,
            }));
    }
    out
}

/// What deriving a recorded sample again from its seed found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rederived {
    /// The roster is as it was and the seed gives exactly the recorded persons.
    Matches,
    /// The roster is as it was but the seed gives other persons: the sample was not drawn
    /// by the rule (or was altered).
    Differs,
    /// The roster changed since the draw (lines added, replaced or anonymised), so the seed
    /// can no longer be checked against it.
    RosterChanged,
}

impl Rederived {
    pub fn label_key(self) -> &'static str {
        match self {
            Rederived::Matches => "sample.check_matches",
            Rederived::Differs => "sample.check_differs",
            Rederived::RosterChanged => "sample.check_roster_changed",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Rederived::Matches => "matches",
            Rederived::Differs => "differs",
            Rederived::RosterChanged => "roster_changed",
        }
    }
}

/// Derives the sample of a recorded draw again from its seed and today's roster, and says
/// whether it is the one recorded (`recorded`: group sizes and person digests in draw order).
pub fn rederive(
    seed: &str,
    persons: &[Person],
    r: &SampleRules,
    groups: &[GroupDraw],
    recorded: &[(String, String)],
) -> Rederived {
    let again = draw(seed, persons, r);
    let same_roster = again.groups.len() == groups.len()
        && again
            .groups
            .iter()
            .zip(groups)
            .all(|(a, b)| a.group == b.group && a.population_digest == b.population_digest);
    if !same_roster {
        return Rederived::RosterChanged;
    }
    let derived: Vec<(String, String)> = again
        .persons
        .into_iter()
        .map(|d| (d.group, d.digest))
        .collect();
    let sizes_match = again
        .groups
        .iter()
        .zip(groups)
        .all(|(a, b)| a.size == b.size);
    if sizes_match && derived == recorded {
        Rederived::Matches
    } else {
        Rederived::Differs
    }
}

/// What the call to one sampled person found (all `None` until recorded).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct Answer {
    /// The person was reached (by phone or visit).
    pub reached: Option<bool>,
    /// The person confirmed being served by the project (asked only when reached).
    pub confirmed: Option<bool>,
    /// Satisfaction on the round's scale, 1 (lowest) to the scale's points.
    pub satisfaction: Option<i32>,
}

/// Why a typed answer was refused (message keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerError {
    /// Confirmed or satisfaction given for a person not reached.
    NotReached,
    /// Satisfaction outside 1..=scale.
    Scale,
}

impl Answer {
    /// Recorded: whether the person was reached is known, and a reached person's
    /// confirmation too (satisfaction may be refused by the person).
    pub fn recorded(&self) -> bool {
        match self.reached {
            None => false,
            Some(false) => true,
            Some(true) => self.confirmed.is_some(),
        }
    }

    /// The answer is consistent with itself and the scale.
    pub fn check(&self, scale: i32) -> Result<(), AnswerError> {
        if self.reached != Some(true) && (self.confirmed.is_some() || self.satisfaction.is_some()) {
            return Err(AnswerError::NotReached);
        }
        if let Some(s) = self.satisfaction {
            if !(1..=scale).contains(&s) {
                return Err(AnswerError::Scale);
            }
        }
        Ok(())
    }
}

/// A satisfaction answer counts as satisfied in the upper half of the scale (4 and 5 of 5).
pub fn satisfied(answer: i32, scale: i32) -> bool {
    answer * 2 > scale + 1
}

/// The estimates of one group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GroupEstimate {
    pub group: String,
    /// Unique persons in the roster when drawn.
    pub population: i64,
    pub sampled: i64,
    /// Sampled persons whose call is recorded.
    pub recorded: i64,
    pub reached: i64,
    pub confirmed: i64,
    /// confirmed ÷ reached, basis points rounded down; none before anyone was reached.
    pub confirmed_rate_bp: Option<i64>,
    /// population × confirmed ÷ reached, rounded down; none before anyone was reached.
    pub verified: Option<i64>,
}

/// The estimates of a sample.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Estimates {
    pub groups: Vec<GroupEstimate>,
    /// Every sampled person is recorded.
    pub complete: bool,
    /// Σ confirmed ÷ Σ reached, basis points rounded down.
    pub confirmed_rate_bp: Option<i64>,
    /// Share of satisfaction answers in the satisfied half of the scale, % rounded half up.
    pub satisfaction_pct: Option<i32>,
    /// Satisfaction answers given.
    pub satisfaction_answers: i64,
    /// Complete and below the round's confirmed-rate threshold.
    pub flagged: bool,
}

fn rate_bp(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 10_000 / whole)
}

/// The estimates of a sample from its groups and the answers of its persons (group, answer).
pub fn estimate(groups: &[GroupDraw], answers: &[(String, Answer)], r: &SampleRules) -> Estimates {
    let mut out = Vec::new();
    for g in groups {
        let of: Vec<&Answer> = answers
            .iter()
            .filter(|(grp, _)| *grp == g.group)
            .map(|(_, a)| a)
            .collect();
        let reached = of.iter().filter(|a| a.reached == Some(true)).count() as i64;
        let confirmed = of
            .iter()
            .filter(|a| a.reached == Some(true) && a.confirmed == Some(true))
            .count() as i64;
        out.push(GroupEstimate {
            group: g.group.clone(),
            population: g.population,
            sampled: of.len() as i64,
            recorded: of.iter().filter(|a| a.recorded()).count() as i64,
            reached,
            confirmed,
            confirmed_rate_bp: rate_bp(confirmed, reached),
            verified: (reached > 0).then(|| g.population * confirmed / reached),
        });
    }
    let reached: i64 = out.iter().map(|g| g.reached).sum();
    let confirmed: i64 = out.iter().map(|g| g.confirmed).sum();
    let scale = r.satisfaction_scale;
    let given: Vec<i32> = answers
        .iter()
        .filter(|(_, a)| a.reached == Some(true))
        .filter_map(|(_, a)| a.satisfaction)
        .collect();
    let n = given.len() as i64;
    let happy = given.iter().filter(|s| satisfied(**s, scale)).count() as i64;
    let complete = answers.iter().all(|(_, a)| a.recorded());
    let confirmed_rate_bp = rate_bp(confirmed, reached);
    Estimates {
        groups: out,
        complete,
        confirmed_rate_bp,
        satisfaction_pct: (n > 0).then(|| ((happy * 200 + n) / (2 * n)) as i32),
        satisfaction_answers: n,
        flagged: complete
            && !answers.is_empty()
            && confirmed_rate_bp.is_some_and(|bp| bp < r.confirmed_threshold_bp),
    }
}

/// Basis points as people read a percentage: 8333 → "83.33%", 8000 → "80%".
pub fn percent_text(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        let s = format!("{}.{:02}", bp / 100, bp % 100);
        format!("{}%", s.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, grp: &str, name: &str, hash: Option<&str>) -> RosterLine {
        RosterLine {
            entry_id: id,
            grp: grp.into(),
            name: name.into(),
            id_hash: hash.map(str::to_string),
        }
    }

    fn roster(group: &str, n: i64, first_id: i64) -> Vec<RosterLine> {
        (0..n)
            .map(|i| line(first_id + i, group, &format!("居民{i}"), None))
            .collect()
    }

    #[test]
    fn sizes_take_the_rate_rounded_up_at_least_the_minimum_at_most_everyone() {
        let r = SampleRules::default(); // 5%, at least 10
        assert_eq!(sample_size(0, &r), 0);
        assert_eq!(sample_size(4, &r), 4, "a small group is called in full");
        assert_eq!(sample_size(10, &r), 10);
        assert_eq!(sample_size(100, &r), 10);
        assert_eq!(sample_size(200, &r), 10);
        assert_eq!(sample_size(201, &r), 11, "10.05 rounds up");
        assert_eq!(sample_size(1000, &r), 50);
        let r = SampleRules {
            rate_bp: 1000,
            min_per_group: 0,
            ..SampleRules::default()
        };
        assert_eq!(sample_size(1, &r), 1);
        assert_eq!(sample_size(15, &r), 2);
        let all = SampleRules {
            rate_bp: 10_000,
            ..SampleRules::default()
        };
        assert_eq!(sample_size(37, &all), 37);
    }

    #[test]
    fn unique_persons_follow_the_identity_then_group_and_name() {
        let lines = vec![
            line(5, "elderly", "张三", Some("h1")),
            line(3, "elderly", " 张三 ", Some("h1")),
            line(7, "disabled", "张三丰", Some("h1")),
            line(8, "elderly", "李四", None),
            line(9, "elderly", "李四 ", None),
            line(10, "disabled", "李四", None),
        ];
        let p = unique_persons(&lines);
        let ids: Vec<i64> = p.iter().map(|p| p.entry_id).collect();
        assert_eq!(ids, vec![3, 8, 10], "first line of each person");
        assert_eq!(p[0].group, "elderly");
    }

    #[test]
    fn the_same_seed_draws_the_same_persons_whatever_the_roster_order() {
        let r = SampleRules::default();
        let mut lines = roster("elderly", 300, 1);
        lines.extend(roster("youth", 8, 1000));
        let a = draw("seed-1", &unique_persons(&lines), &r);
        lines.reverse();
        let b = draw("seed-1", &unique_persons(&lines), &r);
        assert_eq!(a, b);
        assert_eq!(
            a.groups
                .iter()
                .map(|g| (g.group.as_str(), g.population, g.size))
                .collect::<Vec<_>>(),
            vec![("elderly", 300, 15), ("youth", 8, 8)]
        );
        assert_eq!(a.persons.len(), 23);
        let c = draw("seed-2", &unique_persons(&lines), &r);
        assert_ne!(
            a.persons[..15].to_vec(),
            c.persons[..15].to_vec(),
            "another seed, another sample"
        );
        // A known value, so a change of the rule (or of SHA-256's crate) cannot pass unseen.
        let first = &draw("fixed", &unique_persons(&roster("elderly", 50, 1)), &r).persons[0];
        assert_eq!(
            first.entry_id,
            {
                let mut keys: Vec<(Vec<u8>, i64)> = (0..50)
                    .map(|i| {
                        let k = format!("name:elderly\u{1f}居民{i}");
                        let mut h = Sha256::new();
                        h.update(b"fixed\0");
                        h.update(k.as_bytes());
                        (h.finalize().to_vec(), i + 1)
                    })
                    .collect();
                keys.sort();
                keys[0].1
            },
            "SHA-256(seed ‖ 0 ‖ key), lowest first"
        );
    }

    #[test]
    fn rederiving_tells_a_true_sample_from_a_picked_one_and_a_changed_roster() {
        let r = SampleRules::default();
        let lines = roster("elderly", 120, 1);
        let persons = unique_persons(&lines);
        let d = draw("abc", &persons, &r);
        let recorded: Vec<(String, String)> = d
            .persons
            .iter()
            .map(|p| (p.group.clone(), p.digest.clone()))
            .collect();
        assert_eq!(
            rederive("abc", &persons, &r, &d.groups, &recorded),
            Rederived::Matches
        );
        let mut picked = recorded.clone();
        picked[0].1 = digest("name:elderly\u{1f}居民119");
        if picked[0] != recorded[0] {
            assert_eq!(
                rederive("abc", &persons, &r, &d.groups, &picked),
                Rederived::Differs
            );
        }
        assert_eq!(
            rederive("other", &persons, &r, &d.groups, &recorded),
            Rederived::Differs,
            "a seed other than the recorded one"
        );
        let more = unique_persons(&roster("elderly", 121, 1));
        assert_eq!(
            rederive("abc", &more, &r, &d.groups, &recorded),
            Rederived::RosterChanged
        );
    }

    fn ans(reached: Option<bool>, confirmed: Option<bool>, s: Option<i32>) -> Answer {
        Answer {
            reached,
            confirmed,
            satisfaction: s,
        }
    }

    fn group(g: &str, population: i64, size: i64) -> GroupDraw {
        GroupDraw {
            group: g.into(),
            population,
            size,
            population_digest: String::new(),
        }
    }

    #[test]
    fn estimates_scale_the_confirmed_rate_to_the_roster_rounding_down() {
        let r = SampleRules::default();
        let groups = vec![group("elderly", 200, 10), group("youth", 7, 3)];
        let mut answers = Vec::new();
        // elderly: 9 reached, 7 confirmed, 1 not reached.
        for i in 0..10 {
            let a = match i {
                0 => ans(Some(false), None, None),
                1 | 2 => ans(Some(true), Some(false), Some(2)),
                _ => ans(Some(true), Some(true), Some(if i % 2 == 0 { 5 } else { 3 })),
            };
            answers.push(("elderly".to_string(), a));
        }
        // youth: 3 reached, all confirmed.
        for _ in 0..3 {
            answers.push(("youth".to_string(), ans(Some(true), Some(true), Some(4))));
        }
        let e = estimate(&groups, &answers, &r);
        let el = &e.groups[0];
        assert_eq!(
            (el.sampled, el.recorded, el.reached, el.confirmed),
            (10, 10, 9, 7)
        );
        assert_eq!(
            el.confirmed_rate_bp,
            Some(7777),
            "7/9 = 77.77…% rounded down"
        );
        assert_eq!(el.verified, Some(155), "200 × 7 ÷ 9 = 155.5… rounded down");
        assert_eq!(e.groups[1].verified, Some(7));
        assert_eq!(e.confirmed_rate_bp, Some(8333), "10/12");
        // Satisfied: 5s (i = 4, 6, 8) and the youth 4s = 6 of 12 answers → 50%.
        assert_eq!(e.satisfaction_answers, 12);
        assert_eq!(e.satisfaction_pct, Some(50));
        assert!(e.complete);
        assert!(!e.flagged, "83.33% ≥ 80%");
        let strict = SampleRules {
            confirmed_threshold_bp: 9000,
            ..r.clone()
        };
        assert!(estimate(&groups, &answers, &strict).flagged);
    }

    #[test]
    fn an_incomplete_sample_is_not_flagged_and_nobody_reached_estimates_nothing() {
        let r = SampleRules::default();
        let groups = vec![group("elderly", 50, 2)];
        let answers = vec![
            ("elderly".to_string(), ans(Some(true), Some(false), None)),
            ("elderly".to_string(), ans(None, None, None)),
        ];
        let e = estimate(&groups, &answers, &r);
        assert!(!e.complete);
        assert!(!e.flagged, "0% so far, but the sample is not done");
        assert_eq!(e.confirmed_rate_bp, Some(0));
        assert_eq!(e.satisfaction_pct, None);
        let none = vec![
            ("elderly".to_string(), ans(Some(false), None, None)),
            ("elderly".to_string(), ans(Some(false), None, None)),
        ];
        let e = estimate(&groups, &none, &r);
        assert!(e.complete);
        assert_eq!((e.groups[0].verified, e.confirmed_rate_bp), (None, None));
        assert!(!e.flagged, "no rate, no flag");
    }

    #[test]
    fn satisfaction_rounds_half_up_and_uses_the_upper_half_of_the_scale() {
        assert!(satisfied(4, 5) && satisfied(5, 5) && !satisfied(3, 5));
        assert!(satisfied(3, 3) && !satisfied(2, 3));
        assert!(satisfied(2, 2) && !satisfied(1, 2));
        assert!(satisfied(6, 10) && !satisfied(5, 10));
        let r = SampleRules::default();
        let groups = vec![group("elderly", 3, 3)];
        let answers: Vec<(String, Answer)> = [5, 5, 1]
            .iter()
            .map(|s| ("elderly".to_string(), ans(Some(true), Some(true), Some(*s))))
            .collect();
        // 2/3 = 66.67% → 67.
        assert_eq!(estimate(&groups, &answers, &r).satisfaction_pct, Some(67));
        let answers: Vec<(String, Answer)> = [5, 1, 1, 1, 1, 1, 1, 1]
            .iter()
            .map(|s| ("elderly".to_string(), ans(Some(true), Some(true), Some(*s))))
            .collect();
        // 1/8 = 12.5% → 13.
        assert_eq!(estimate(&groups, &answers, &r).satisfaction_pct, Some(13));
    }

    #[test]
    fn answers_are_checked_against_reach_and_scale() {
        assert!(ans(None, None, None).check(5).is_ok());
        assert!(!ans(None, None, None).recorded());
        assert!(ans(Some(false), None, None).recorded());
        assert!(!ans(Some(true), None, Some(3)).recorded());
        assert_eq!(
            ans(Some(false), Some(true), None).check(5),
            Err(AnswerError::NotReached)
        );
        assert_eq!(
            ans(Some(true), Some(true), Some(6)).check(5),
            Err(AnswerError::Scale)
        );
        assert_eq!(
            ans(Some(true), Some(true), Some(0)).check(5),
            Err(AnswerError::Scale)
        );
        assert!(ans(Some(true), Some(true), Some(5)).check(5).is_ok());
    }

    #[test]
    fn rules_are_checked_and_percentages_read_well() {
        let mut e = FieldErrors::new();
        check_rules(&SampleRules::default(), &mut e);
        assert!(e.is_empty());
        check_rules(
            &SampleRules {
                rate_bp: 0,
                min_per_group: -1,
                confirmed_threshold_bp: 10_001,
                satisfaction_scale: 11,
            },
            &mut e,
        );
        for f in [
            "sample_rate",
            "sample_min",
            "sample_threshold",
            "sample_scale",
        ] {
            assert!(e.has(f), "{f}");
        }
        assert_eq!(percent_text(8333), "83.33%");
        assert_eq!(percent_text(8000), "80%");
        assert_eq!(percent_text(8050), "80.5%");
        assert_eq!(percent_text(0), "0%");
    }
}
