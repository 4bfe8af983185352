//! The call-back sample page of an evaluation (抽样回访): the evaluator draws the sample and
//! records each call on its call sheet (numbers in clear while recording, every view
//! audited); the officer reads the seed, the estimates, the threshold flag and whether the
//! sample derives again from its seed.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::filters;
use super::projects::Vals;
use super::{form_done, render_status, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::domain::report::BeneficiaryGroup;
use crate::domain::sample::{percent_text, GroupDraw, SampleRules};
use crate::error::{AppError, FieldErrors};
use crate::i18n::{t, Msg};
use crate::ops;
use crate::ops::sampling::{AnswerInput, SampleState, SampleView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/evaluations/{id}/sample", web::get().to(page))
        .route("/evaluations/{id}/sample", web::post().to(draw))
        .route("/evaluations/{id}/sample/answers", web::post().to(save));
}

#[derive(Template)]
#[template(path = "evaluations/sample.html")]
struct SamplePage {
    ctx: PageCtx,
    evaluation_id: i64,
    /// Not drawn yet: the groups a draw would take now, and whether the actor may draw.
    planned: Vec<GroupDraw>,
    can_draw: bool,
    rules: SampleRules,
    sample: Option<SampleView>,
    vals: Vals,
    errors: FormErrors,
}

impl SamplePage {
    fn group(&self, code: &str) -> String {
        BeneficiaryGroup::parse(code)
            .map(|g| t(self.ctx.lang(), g.label_key()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn pct(&self, bp: &Option<i64>) -> String {
        bp.map(percent_text).unwrap_or_else(|| "—".into())
    }
    fn bp(&self, bp: &i64) -> String {
        percent_text(*bp)
    }
    fn opt(&self, v: &Option<i64>) -> String {
        v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
    }
    fn scale(&self) -> Vec<i32> {
        (1..=self.rules.satisfaction_scale).collect()
    }
    fn err(&self, field: &str) -> String {
        self.errors.get(field).to_string()
    }
    fn has(&self, field: &str) -> bool {
        self.errors.has(field)
    }
    fn drawn_at(&self, s: &SampleView) -> String {
        super::fmt_time(s.drawn_at)
    }
    fn check_text(&self, s: &SampleView) -> String {
        s.check
            .map(|c| t(self.ctx.lang(), c.label_key()).to_string())
            .unwrap_or_default()
    }
    fn check_class(&self, s: &SampleView) -> &'static str {
        s.check.map(|c| c.as_str()).unwrap_or("")
    }
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// The form's values of the recorded answers.
fn vals_of(s: &SampleView) -> Vals {
    let mut m = HashMap::new();
    for p in &s.persons {
        m.insert(format!("reached_{}", p.id), yes_no(p.answer.reached));
        m.insert(format!("confirmed_{}", p.id), yes_no(p.answer.confirmed));
        m.insert(
            format!("satisfaction_{}", p.id),
            p.answer
                .satisfaction
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
    }
    Vals(m)
}

async fn show(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<Vals>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let key = state.pii.clone();
    let v = db::run(&state.pool, move |c| {
        ops::sampling::view(c, &key, &actor, id)
    })
    .await?;
    let errors = ctx.errors(&errors);
    let page = match v {
        SampleState::NotDrawn {
            planned,
            rules,
            can_draw,
        } => SamplePage {
            ctx,
            evaluation_id: id,
            planned,
            can_draw,
            rules,
            sample: None,
            vals: Vals(HashMap::new()),
            errors,
        },
        SampleState::Drawn(s) => SamplePage {
            vals: posted.unwrap_or_else(|| vals_of(&s)),
            ctx,
            evaluation_id: id,
            planned: Vec::new(),
            can_draw: false,
            rules: s.rules.clone(),
            sample: Some(*s),
            errors,
        },
    };
    render_status(status, &page)
}

async fn page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn draw(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let done = db::run(&state.pool, move |c| ops::sampling::draw(c, &actor, id))
        .await
        .map(|_| ());
    form_done(
        done,
        format!("/evaluations/{id}/sample"),
        "flash.sample_drawn",
        async |e, status| show(ctx, &state, id, None, e, status).await,
    )
    .await
}

/// Reads a yes/no choice; blank is none.
fn choice(e: &mut FieldErrors, field: String, raw: &str) -> Option<bool> {
    match raw.trim() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            e.add(field, Msg::new("field.choice_invalid"));
            None
        }
    }
}

/// Reads the call sheet: a row per person id named in the form (`reached_{id}`).
fn parse_answers(v: &Vals) -> Result<Vec<AnswerInput>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut ids: Vec<i64> =
        v.0.keys()
            .filter_map(|k| k.strip_prefix("reached_")?.parse().ok())
            .collect();
    ids.sort_unstable();
    let out = ids
        .into_iter()
        .map(|id| {
            let reached = choice(
                &mut e,
                format!("reached_{id}"),
                v.v(&format!("reached_{id}")),
            );
            let confirmed = choice(
                &mut e,
                format!("confirmed_{id}"),
                v.v(&format!("confirmed_{id}")),
            );
            let raw = v.v(&format!("satisfaction_{id}")).trim();
            let satisfaction = if raw.is_empty() {
                None
            } else {
                match raw.parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        e.add(
                            format!("satisfaction_{id}"),
                            Msg::new("field.integer_invalid"),
                        );
                        None
                    }
                }
            };
            AnswerInput {
                person_id: id,
                reached,
                confirmed,
                satisfaction,
            }
        })
        .collect();
    if e.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}

async fn save(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let vals = Vals(f.0.into_iter().collect());
    let answers = match parse_answers(&vals) {
        Ok(a) => a,
        Err(e) => {
            return show(
                ctx,
                &state,
                id,
                Some(vals),
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let done = db::run(&state.pool, move |c| {
        ops::sampling::record(c, &actor, id, &answers)
    })
    .await;
    form_done(
        done.map(|_| ()),
        format!("/evaluations/{id}/sample"),
        "flash.sample_saved",
        async |e, status| show(ctx, &state, id, Some(vals), e, status).await,
    )
    .await
}
