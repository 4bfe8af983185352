//! The evaluator's call-back sample (抽样回访, issue 15): drawing it once per evaluation from
//! the project's roster ([`crate::domain::sample`]), the call sheet (the sampled persons'
//! numbers in clear for the assigned evaluator only, each view audited), recording what the
//! calls found, and the estimates that feed the filing's verified figures and satisfaction and
//! flag the evaluation for the officer when too few confirm being served.

use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::{self, Change};
use crate::db::evaluations::{self, EvaluationRow};
use crate::db::projects::ProjectRow;
use crate::db::samples::{self, NewSample, PersonRow, SampleRow};
use crate::db::{self, DbConn};
use crate::domain::account::Role;
use crate::domain::evaluation::VerifiedCount;
use crate::domain::report::BeneficiaryGroup;
use crate::domain::sample::{
    self, Answer, AnswerError, Estimates, GroupDraw, Rederived, SampleRules,
};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::pii::{IdKind, PiiKey};

/// The evaluation, its project and the round's sampling rules, if `actor` may see its sample:
/// the bureau's officers and the assigned evaluator.
fn find_sampled(
    conn: &mut DbConn,
    actor: &Actor,
    evaluation_id: i64,
) -> Result<(EvaluationRow, ProjectRow, SampleRules), AppError> {
    let (ev, p) = super::evaluation::find_visible(conn, actor, evaluation_id)?;
    let officer = policy::allows(actor, Action::ManageRounds(p.bureau_id));
    let evaluator = actor.role == Role::Evaluator && actor.id == ev.evaluator_id;
    if !(officer || evaluator) {
        return Err(AppError::Forbidden);
    }
    let rules = db::rounds::find(conn, p.round_id)?.rules().sampling;
    Ok((ev, p, rules))
}

/// The assigned evaluator, while the evaluation is open.
fn require_recording(actor: &Actor, ev: &EvaluationRow) -> Result<(), AppError> {
    if !(actor.role == Role::Evaluator && actor.id == ev.evaluator_id) {
        return Err(AppError::Forbidden);
    }
    if !ev.status.editable() {
        return Err(AppError::conflict("error.evaluation_frozen"));
    }
    Ok(())
}

/// Draws the sample of an evaluation from its project's roster (once): a random seed, the
/// unique persons ranked by SHA-256(seed ‖ key), the first k of each group. Audited with the
/// seed and the sizes.
#[tracing::instrument(skip_all, fields(user = actor.id, evaluation_id))]
pub fn draw(conn: &mut DbConn, actor: &Actor, evaluation_id: i64) -> Result<i64, AppError> {
    let (ev, p, rules) = find_sampled(conn, actor, evaluation_id)?;
    require_recording(actor, &ev)?;
    if samples::of_evaluation(conn, ev.id)?.is_some() {
        return Err(AppError::conflict("error.sample_drawn"));
    }
    let persons = sample::unique_persons(&samples::roster_lines(conn, p.id)?);
    if persons.is_empty() {
        return Err(AppError::conflict("error.sample_no_roster"));
    }
    let seed = sample::new_seed();
    let d = sample::draw(&seed, &persons, &rules);
    db::write_tx(conn, |c| {
        let id = samples::insert(
            c,
            &NewSample {
                evaluation_id: ev.id,
                project_id: p.id,
                seed: &seed,
                groups: &d.groups,
                drawn_by: actor.id,
            },
        )?
        .ok_or_else(|| AppError::conflict("error.sample_drawn"))?;
        for (i, person) in d.persons.iter().enumerate() {
            samples::insert_person(
                c,
                id,
                i as i32 + 1,
                &person.group,
                &person.digest,
                person.entry_id,
            )?;
        }
        let sizes: Vec<serde_json::Value> = d
            .groups
            .iter()
            .map(|g| serde_json::json!({"group": g.group, "population": g.population, "size": g.size}))
            .collect();
        audit::append(
            c,
            Change::new(Some(actor), "sample.drawn", "evaluation", ev.id).after(
                serde_json::json!({"sample_id": id, "seed": seed, "groups": sizes,
                                   "rate_bp": rules.rate_bp, "min_per_group": rules.min_per_group}),
            ),
        )?;
        Ok(id)
    })
}

/// A sampled person on the call sheet.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PersonView {
    /// Id of the sampled person (what answers are recorded against).
    pub id: i64,
    pub seq: i32,
    /// The beneficiary group's code.
    pub group: String,
    /// The name: in full for the assigned evaluator while recording, else masked (`张*`).
    pub name: String,
    /// `phone`, `id_card`, or none when the roster line has no number.
    pub id_kind: Option<String>,
    /// The number: in clear for the assigned evaluator while recording, else masked.
    pub identity: Option<String>,
    /// The roster line was anonymised since the draw (retention): nothing is shown.
    pub anonymised: bool,
    pub answer: Answer,
}

/// A drawn sample as its reader sees it (page and `GET /api/v1/evaluations/{id}/sample`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SampleView {
    pub evaluation_id: i64,
    /// The seed the persons were drawn from: anyone may derive the sample again from it.
    pub seed: String,
    pub drawn_by: String,
    pub drawn_at: chrono::NaiveDateTime,
    /// Per group: unique persons in the roster when drawn and persons drawn.
    pub groups: Vec<GroupDraw>,
    pub persons: Vec<PersonView>,
    pub estimates: Estimates,
    pub rules: SampleRules,
    /// The numbers are shown in clear (the assigned evaluator while recording; audited).
    pub unmasked: bool,
    /// The actor may record answers.
    pub can_record: bool,
    /// For the bureau's officers: the sample derived again from the seed and today's roster.
    pub check: Option<Rederived>,
}

/// The state of an evaluation's sample: drawn, or what a draw would take now.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SampleState {
    /// No sample yet: the groups a draw would take from the roster as it stands.
    NotDrawn {
        planned: Vec<GroupDraw>,
        rules: SampleRules,
        /// The actor may draw it (the assigned evaluator while the evaluation is open).
        can_draw: bool,
    },
    Drawn(Box<SampleView>),
}

fn masked_name(name: &str) -> String {
    crate::pii::mask_name(name.trim())
}

/// The sample of evaluation `evaluation_id` as `actor` may see it. The assigned evaluator,
/// while the evaluation is open, sees the sampled persons' names and numbers in clear
/// (decrypted with `key`); every such view is audited with the roster lines it showed.
#[tracing::instrument(skip_all, fields(user = actor.id, evaluation_id))]
pub fn view(
    conn: &mut DbConn,
    key: &PiiKey,
    actor: &Actor,
    evaluation_id: i64,
) -> Result<SampleState, AppError> {
    let (ev, p, rules) = find_sampled(conn, actor, evaluation_id)?;
    let recording = require_recording(actor, &ev).is_ok();
    let Some(s) = samples::of_evaluation(conn, ev.id)? else {
        let persons = sample::unique_persons(&samples::roster_lines(conn, p.id)?);
        return Ok(SampleState::NotDrawn {
            planned: sample::draw("", &persons, &rules).groups,
            rules,
            can_draw: recording,
        });
    };
    let rows = samples::persons(conn, s.id)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.roster_entry_id).collect();
    let entries: std::collections::HashMap<i64, samples::EntryRow> = samples::entries(conn, &ids)?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut persons = Vec::with_capacity(rows.len());
    let mut shown = Vec::new();
    for r in &rows {
        let e = entries.get(&r.roster_entry_id);
        let anonymised = e.is_none_or(|e| e.anonymised_at.is_some());
        let (name, id_kind, identity) = match e.filter(|_| !anonymised) {
            None => (String::new(), None, None),
            Some(e) if recording => {
                let clear = match (&e.id_kind, &e.id_cipher) {
                    (Some(_), Some(cipher)) => Some(key.open(cipher).map_err(|err| {
                        AppError::Unexpected(format!("roster line {}: {err}", e.id))
                    })?),
                    _ => None,
                };
                shown.push(e.id);
                (e.name.trim().to_string(), e.id_kind.clone(), clear)
            }
            Some(e) => (masked_name(&e.name), e.id_kind.clone(), e.id_masked.clone()),
        };
        persons.push(PersonView {
            id: r.id,
            seq: r.seq,
            group: r.grp.clone(),
            name,
            id_kind: id_kind.filter(|k| IdKind::parse(k).is_some()),
            identity,
            anonymised,
            answer: r.answer(),
        });
    }
    if !shown.is_empty() {
        db::write_tx(conn, |c| {
            audit::append(
                c,
                Change::new(Some(actor), "sample.unmasked", "evaluation", ev.id)
                    .after(serde_json::json!({"sample_id": s.id, "roster_entry_ids": shown})),
            )
        })?;
    }
    let groups = s.groups();
    let estimates = sample::estimate(&groups, &answers(&rows), &rules);
    let check = if policy::allows(actor, Action::ManageRounds(p.bureau_id)) {
        Some(rederive(conn, &s, &rows, &rules)?)
    } else {
        None
    };
    Ok(SampleState::Drawn(Box::new(SampleView {
        evaluation_id: ev.id,
        seed: s.seed.clone(),
        drawn_by: s.drawn_by_name.clone(),
        drawn_at: s.drawn_at,
        groups,
        persons,
        estimates,
        rules,
        unmasked: !shown.is_empty(),
        can_record: recording,
        check,
    })))
}

fn answers(rows: &[PersonRow]) -> Vec<(String, Answer)> {
    rows.iter().map(|r| (r.grp.clone(), r.answer())).collect()
}

/// Derives the sample again from its seed and the project's roster as it stands.
fn rederive(
    conn: &mut DbConn,
    s: &SampleRow,
    rows: &[PersonRow],
    rules: &SampleRules,
) -> Result<Rederived, AppError> {
    let persons = sample::unique_persons(&samples::roster_lines(conn, s.project_id)?);
    let recorded: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.grp.clone(), r.person_digest.clone()))
        .collect();
    Ok(sample::rederive(
        &s.seed,
        &persons,
        rules,
        &s.groups(),
        &recorded,
    ))
}

/// The sample of an evaluation with its estimates, if one was drawn (for the filing screen,
/// the checks before submitting, and the summary's annex). No identities.
pub fn brief(
    conn: &mut DbConn,
    ev: &EvaluationRow,
    rules: &SampleRules,
) -> Result<Option<(SampleRow, Vec<PersonRow>, Estimates)>, AppError> {
    let Some(s) = samples::of_evaluation(conn, ev.id)? else {
        return Ok(None);
    };
    let rows = samples::persons(conn, s.id)?;
    let e = sample::estimate(&s.groups(), &answers(&rows), rules);
    Ok(Some((s, rows, e)))
}

/// What the evaluator records for one sampled person.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    /// Id of the sampled person (`persons[].id` of the sample).
    pub person_id: i64,
    pub reached: Option<bool>,
    /// Only for a person reached.
    #[serde(default)]
    pub confirmed: Option<bool>,
    /// Only for a person reached: 1 to the round's scale.
    #[serde(default)]
    pub satisfaction: Option<i32>,
}

/// Records what the calls found (any number of persons at a time; the others keep theirs),
/// after checking every answer: a problem is a field error (`confirmed_{id}`,
/// `satisfaction_{id}`) and nothing is saved. The estimates feed the filing (verified unique
/// people of each sampled group, satisfaction %) and set or clear the officer's flag, in the
/// same transaction.
#[tracing::instrument(skip_all, fields(user = actor.id, evaluation_id))]
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    evaluation_id: i64,
    input: &[AnswerInput],
) -> Result<Estimates, AppError> {
    let (ev, _, rules) = find_sampled(conn, actor, evaluation_id)?;
    require_recording(actor, &ev)?;
    let s = samples::of_evaluation(conn, ev.id)?
        .ok_or_else(|| AppError::conflict("error.sample_not_drawn"))?;
    let known: std::collections::HashSet<i64> =
        samples::persons(conn, s.id)?.iter().map(|r| r.id).collect();
    let mut e = FieldErrors::new();
    for a in input {
        if !known.contains(&a.person_id) {
            e.add(
                format!("reached_{}", a.person_id),
                Msg::new("sample.unknown_person"),
            );
            continue;
        }
        let answer = Answer {
            reached: a.reached,
            confirmed: a.confirmed,
            satisfaction: a.satisfaction,
        };
        match answer.check(rules.satisfaction_scale) {
            Ok(()) => {}
            Err(AnswerError::NotReached) => e.add(
                format!("confirmed_{}", a.person_id),
                Msg::new("sample.not_reached"),
            ),
            Err(AnswerError::Scale) => e.add(
                format!("satisfaction_{}", a.person_id),
                Msg::new("field.number_range")
                    .arg("min", 1)
                    .arg("max", rules.satisfaction_scale),
            ),
        }
    }
    e.into_result()?;
    db::write_tx(conn, |c| {
        for a in input {
            samples::set_answer(
                c,
                s.id,
                a.person_id,
                &Answer {
                    reached: a.reached,
                    confirmed: a.confirmed,
                    satisfaction: a.satisfaction,
                },
                actor.id,
            )?;
        }
        let rows = samples::persons(c, s.id)?;
        let est = sample::estimate(&s.groups(), &answers(&rows), &rules);
        samples::set_flag(c, s.id, est.flagged)?;
        let fresh = evaluations::find(c, ev.id)?;
        let mut content = fresh.content();
        if feed(&mut content, &est) && !evaluations::save(c, ev.id, fresh.version, &content)? {
            return Err(AppError::conflict("error.edit_conflict"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "sample.recorded", "evaluation", ev.id).after(
                serde_json::json!({"sample_id": s.id, "answers": input.len(),
                                   "confirmed_rate_bp": est.confirmed_rate_bp,
                                   "satisfaction_pct": est.satisfaction_pct,
                                   "complete": est.complete, "flagged": est.flagged}),
            ),
        )?;
        Ok(est)
    })
}

/// Writes the sample's estimates into the filing: the verified unique people of each group
/// with an estimate, and the satisfaction %. Whether anything changed.
pub fn feed(content: &mut crate::domain::evaluation::EvaluationContent, est: &Estimates) -> bool {
    let before = content.clone();
    for g in &est.groups {
        let (Some(verified), Some(_)) = (g.verified, BeneficiaryGroup::parse(&g.group)) else {
            continue;
        };
        content.verified.retain(|v| v.group != g.group);
        content.verified.push(VerifiedCount {
            group: g.group.clone(),
            unique_people: verified,
        });
    }
    content.verified.sort_by_key(|v| {
        BeneficiaryGroup::parse(&v.group)
            .and_then(|g| BeneficiaryGroup::ALL.iter().position(|x| *x == g))
            .unwrap_or(usize::MAX)
    });
    if let Some(pct) = est.satisfaction_pct {
        content.satisfaction_pct = Some(pct);
    }
    *content != before
}

/// The filing cannot be submitted while sampled persons are not recorded.
pub fn check_complete(
    conn: &mut DbConn,
    ev: &EvaluationRow,
    rules: &SampleRules,
    e: &mut FieldErrors,
) -> Result<(), AppError> {
    if let Some((_, rows, est)) = brief(conn, ev, rules)? {
        if !est.complete {
            let missing = rows.iter().filter(|r| !r.answer().recorded()).count();
            e.add(
                "sample",
                Msg::new("sample.incomplete").arg("count", missing as i64),
            );
        }
    }
    Ok(())
}
