//! Pages of expert review: the reviewer's profile and assignments, accepting or declining,
//! and the officer's assignment board.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::export::{self, Cell, Table};
use super::filters;
use super::{
    form_done, render, render_status, see_other_flash, versioned_form_done, AppState, FormErrors,
    PageCtx,
};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::Actor;
use crate::db::reviews::{AssignedItem, Profile};
use crate::db::rounds::RoundRow;
use crate::db::{self, proposals, reviews};
use crate::domain::assignment::Affiliation;
use crate::domain::round::RoundRules;
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::ops;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviewer/profile", web::get().to(profile_page))
        .route("/reviewer/profile", web::post().to(save_profile))
        .route("/reviews", web::get().to(my_reviews))
        .route("/reviews/{id}", web::get().to(review_page))
        .route("/reviews/{id}/accept", web::post().to(accept))
        .route("/reviews/{id}/decline", web::post().to(decline))
        .route("/reviews/{id}/scores", web::post().to(save_scores))
        .route("/reviews/{id}/reopen", web::post().to(reopen))
        .route("/rounds/{id}/review", web::get().to(board))
        .route("/rounds/{id}/review.csv", web::get().to(board_csv))
        .route("/rounds/{id}/decision", web::get().to(decision))
        .route("/rounds/{id}/ranking.xlsx", web::get().to(ranking_xlsx))
        .route("/rounds/{id}/ranking.pdf", web::get().to(ranking_pdf))
        .route("/rounds/{id}/review/start", web::post().to(start))
        .route("/rounds/{id}/review/auto", web::post().to(auto))
        .route("/proposals/{id}/reviewers", web::post().to(assign));
}

/// Profile form values: expertise checkboxes and affiliation rows.
#[derive(Default)]
struct ProfileForm {
    categories: Vec<(String, bool)>,
    rows: Vec<[String; 4]>,
}

impl ProfileForm {
    fn from(p: &Profile) -> Self {
        let cats = RoundRules::default().categories;
        let mut rows: Vec<[String; 4]> = p
            .affiliations
            .iter()
            .map(|a| {
                [
                    a.org_name.clone(),
                    a.uscc.clone().unwrap_or_default(),
                    a.role.clone(),
                    super::filters::date_text(a.until),
                ]
            })
            .collect();
        rows.extend(std::iter::repeat_n(Default::default(), 2));
        ProfileForm {
            categories: cats
                .into_iter()
                .map(|c| (c.clone(), p.expertise.contains(&c)))
                .collect(),
            rows,
        }
    }
}

/// Reads the posted profile; bad dates are named by row.
fn parse_profile(form: &HashMap<String, String>) -> Result<Profile, FieldErrors> {
    let cats = RoundRules::default().categories;
    let expertise = cats
        .iter()
        .enumerate()
        .filter(|(i, _)| form.contains_key(&format!("exp_{i}")))
        .map(|(_, c)| c.clone())
        .collect();
    let mut e = FieldErrors::new();
    let mut affiliations = Vec::new();
    let get = |k: String| {
        form.get(&k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    for i in 0..50 {
        let (name, uscc, role, until) = (
            get(format!("a_name_{i}")),
            get(format!("a_uscc_{i}")),
            get(format!("a_role_{i}")),
            get(format!("a_until_{i}")),
        );
        if name.is_empty() && uscc.is_empty() && role.is_empty() && until.is_empty() {
            continue;
        }
        let until = if until.is_empty() {
            None
        } else {
            match chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    e.add(
                        "affiliations",
                        Msg::new("field.affiliation_line").arg("line", affiliations.len() + 1),
                    );
                    None
                }
            }
        };
        affiliations.push(Affiliation {
            org_name: name,
            uscc: Some(uscc).filter(|u| !u.is_empty()),
            role,
            until,
        });
    }
    if e.is_empty() {
        Ok(Profile {
            expertise,
            affiliations,
        })
    } else {
        Err(e)
    }
}

#[derive(Template)]
#[template(path = "reviews/profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    form: ProfileForm,
    errors: FormErrors,
}

async fn profile_page(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    if !ctx.role_is("reviewer") {
        return Err(AppError::Forbidden);
    }
    let p = db::run(&state.pool, move |c| reviews::profile(c, actor.id)).await?;
    render(&ProfilePage {
        form: ProfileForm::from(&p),
        ctx,
        errors: FormErrors::default(),
    })
}

async fn save_profile(
    ctx: PageCtx,
    state: web::Data<AppState>,
    form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let result = match parse_profile(&form.0) {
        Ok(p) => {
            db::run(&state.pool, move |c| {
                ops::reviews::save_profile(c, &actor, &p)
            })
            .await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    form_done(
        result,
        "/reviewer/profile",
        "flash.saved",
        async |e, status| {
            let a = ctx.user()?.clone();
            let p = db::run(&state.pool, move |c| reviews::profile(c, a.id)).await?;
            let errors = ctx.errors(&e);
            render_status(
                status,
                &ProfilePage {
                    form: ProfileForm::from(&p),
                    ctx,
                    errors,
                },
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "reviews/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<AssignedItem>,
    progress: crate::queries::reviews::Progress,
    pager: super::paging::Pager,
}

async fn my_reviews(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    q: super::input::Query<super::paging::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let page = q.req()?;
    let queue = db::run(&state.pool, move |c| {
        crate::queries::reviews::queue(c, &actor, page)
    })
    .await?;
    render(&ListPage {
        ctx,
        pager: super::paging::Pager::new(&req, &queue.items),
        items: queue.items.items,
        progress: queue.progress,
    })
}

/// The scoring form: what is saved, or what was just typed.
#[derive(Debug, Clone, Default)]
pub struct ScoreForm {
    pub scores: Vec<String>,
    pub comments: Vec<String>,
    pub overall_comment: String,
    pub recommendation: String,
}

impl ScoreForm {
    pub fn from_content(c: &crate::domain::assignment::ReviewContent) -> Self {
        ScoreForm {
            scores: c
                .criteria
                .iter()
                .map(|s| s.score.map(tenths_text).unwrap_or_default())
                .collect(),
            comments: c.criteria.iter().map(|s| s.comment.clone()).collect(),
            overall_comment: c.overall_comment.clone(),
            recommendation: c
                .recommendation
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
        }
    }
    pub fn from_post(form: &HashMap<String, String>, n: usize) -> Self {
        let get = |k: String| form.get(&k).cloned().unwrap_or_default();
        ScoreForm {
            scores: (0..n).map(|i| get(format!("score_{i}"))).collect(),
            comments: (0..n).map(|i| get(format!("comment_{i}"))).collect(),
            overall_comment: get("overall_comment".into()),
            recommendation: get("recommendation".into()),
        }
    }
    /// Parses into a review; unreadable scores are reported by field.
    pub fn content(
        &self,
        rubric: &[crate::domain::round::Criterion],
        step: i32,
    ) -> Result<crate::domain::assignment::ReviewContent, FieldErrors> {
        use crate::domain::assignment::{CriterionScore, Recommendation, ReviewContent};
        let mut e = FieldErrors::new();
        let mut criteria = Vec::new();
        for (i, cr) in rubric.iter().enumerate() {
            let raw = self.scores.get(i).map(|s| s.trim()).unwrap_or("");
            let score = if raw.is_empty() {
                None
            } else {
                match crate::domain::review::parse_score(raw, cr.max_points, step) {
                    Ok(v) => Some(v),
                    Err(err) => {
                        e.add(
                            format!("scores[{i}]"),
                            crate::domain::review::score_msg(err, cr.max_points, step),
                        );
                        None
                    }
                }
            };
            criteria.push(CriterionScore {
                score,
                comment: self
                    .comments
                    .get(i)
                    .map(|c| c.trim().to_string())
                    .unwrap_or_default(),
            });
        }
        let recommendation = match self.recommendation.trim() {
            "" => None,
            r => match Recommendation::parse(r) {
                Some(r) => Some(r),
                None => {
                    e.add("recommendation", Msg::new("field.choice_invalid"));
                    None
                }
            },
        };
        if e.is_empty() {
            Ok(ReviewContent {
                criteria,
                overall_comment: self.overall_comment.trim().to_string(),
                recommendation,
            })
        } else {
            Err(e)
        }
    }
    pub fn score(&self, i: &usize) -> &str {
        self.scores.get(*i).map(|s| s.as_str()).unwrap_or("")
    }
    pub fn comment(&self, i: &usize) -> &str {
        self.comments.get(*i).map(|s| s.as_str()).unwrap_or("")
    }
    /// The total of the readable scores, for display.
    pub fn total(&self, rubric: &[crate::domain::round::Criterion], step: &i32) -> String {
        let t: i32 = rubric
            .iter()
            .enumerate()
            .filter_map(|(i, cr)| {
                crate::domain::review::parse_score(self.score(&i), cr.max_points, *step).ok()
            })
            .sum();
        tenths_text(t)
    }
}

pub use crate::domain::review::tenths_text;

#[derive(Template)]
#[template(path = "reviews/show.html")]
struct ReviewPage {
    ctx: PageCtx,
    v: crate::queries::reviews::ReviewView,
    form: ScoreForm,
    errors: FormErrors,
}

async fn review_with(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<ScoreForm>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let v = db::run(&state.pool, move |c| {
        crate::queries::reviews::review(c, &actor, id)
    })
    .await?;
    let form = posted.unwrap_or_else(|| ScoreForm::from_content(&v.review.content(v.rubric.len())));
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &ReviewPage {
            ctx,
            v,
            form,
            errors,
        },
    )
}

async fn review_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    review_with(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn accept(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| ops::reviews::accept(c, &actor, id)).await?;
    Ok(see_other_flash(
        &format!("/reviews/{id}"),
        "flash.review_accepted",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclineForm {
    conflict_note: String,
}

async fn decline(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<DeclineForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let note = f.0.conflict_note;
    let done = db::run(&state.pool, move |c| {
        ops::reviews::decline(c, &actor, id, &note)
    })
    .await;
    form_done(
        done,
        "/reviews",
        "flash.review_declined",
        async |e, status| review_with(ctx, &state, id, None, e, status).await,
    )
    .await
}

async fn save_scores(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let form = form.0;
    let version: i32 = form
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::bad_request("error.malformed_form"))?;
    let submit = form.get("action").map(String::as_str) == Some("submit");
    let a = actor.clone();
    let (rubric, step) = db::run(&state.pool, move |c| {
        let v = crate::queries::reviews::review(c, &a, id)?;
        Ok((v.rubric, v.score_step))
    })
    .await?;
    let posted = ScoreForm::from_post(&form, rubric.len());
    let p2 = posted.clone();
    let result = db::run(&state.pool, move |c| {
        let content = p2.content(&rubric, step).map_err(AppError::Validation)?;
        ops::reviews::save(c, &actor, id, version, &content)?;
        if submit {
            ops::reviews::submit(c, &actor, id)?;
        }
        Ok(())
    })
    .await;
    let flash = if submit {
        "flash.review_submitted"
    } else {
        "flash.saved"
    };
    versioned_form_done(
        result,
        format!("/reviews/{id}"),
        flash,
        async |e, status| review_with(ctx, &state, id, Some(posted), e, status).await,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReopenForm {
    reason: String,
}

async fn reopen(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ReopenForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let round = db::run(&state.pool, move |c| {
        ops::reviews::reopen(c, &settings, &actor, id, &f.0.reason)?;
        Ok(reviews::find(c, id)?.round_id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{round}/review"),
        "flash.review_reopened",
    ))
}

#[derive(Template)]
#[template(path = "reviews/board.html")]
struct BoardPage {
    ctx: PageCtx,
    round: RoundRow,
    rows: Vec<crate::queries::reviews::BoardRow>,
    reviewers: Vec<(i64, String)>,
    loads: Vec<(String, i64)>,
    progress: crate::queries::reviews::Progress,
    pager: super::paging::Pager,
    /// The filter and order as asked (for the form), and the export link keeping them.
    q: BoardQuery,
    export_href: String,
    /// The round's service categories (the filter's choices).
    categories: Vec<String>,
}

impl BoardPage {
    pub fn sorts(&self) -> Vec<&'static str> {
        reviews::BoardSort::ALL.iter().map(|(k, _)| *k).collect()
    }
    pub fn sort_is(&self, s: &&str) -> bool {
        self.q.sort.as_deref().unwrap_or("number") == *s
    }
    pub fn category_is(&self, c: &str) -> bool {
        self.q.category.as_deref() == Some(c)
    }
    pub fn search(&self) -> &str {
        self.q.q.as_deref().unwrap_or("")
    }
    pub fn open_only(&self) -> bool {
        self.q.open.as_deref().is_some_and(|v| !v.is_empty())
    }
}

/// The review board's filter and order: `?q` (part of the number, title or organization),
/// `?category`, `?open=1` (only proposals with an open reviewer slot) and `?sort` (`number`,
/// `title`, `org` or `category`). Shared by the page, its CSV export and the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Part of the proposal's number or title or of the organization's name.
    pub q: Option<String>,
    /// Only proposals of this service category.
    pub category: Option<String>,
    /// Any non-empty value: only proposals with an open reviewer slot.
    pub open: Option<String>,
    /// The order (default `number`).
    pub sort: Option<String>,
}

impl BoardQuery {
    /// The filter asked for; an unknown order or an over-long search is refused naming its field.
    pub fn filter(&self) -> Result<reviews::BoardFilter, AppError> {
        let mut e = FieldErrors::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let q = given(&self.q);
        if q.as_deref()
            .is_some_and(|q| q.chars().count() > crate::domain::limits::SEARCH)
        {
            e.add(
                "q",
                Msg::new("field.too_long").arg("max", crate::domain::limits::SEARCH),
            );
        }
        let sort = given(&self.sort).and_then(|s| {
            let so = reviews::BoardSort::parse(&s);
            if so.is_none() {
                e.add("sort", Msg::new("field.choice_invalid"));
            }
            so
        });
        e.into_result()?;
        Ok(reviews::BoardFilter {
            q,
            category: given(&self.category),
            open_only: given(&self.open).is_some(),
            sort: sort.unwrap_or_default(),
        })
    }
}

async fn board(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: super::input::Query<super::paging::PageQuery>,
    bq: super::input::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, page) = (id.into_inner(), q.req()?);
    let bq = bq.into_inner();
    let f = bq.filter()?;
    let reads = state.reads.clone();
    let b = db::run(&state.pool, move |c| {
        crate::queries::reviews::board(c, &reads, &actor, id, &f, page)
    })
    .await?;
    let export_href = format!("/rounds/{id}/review.csv?{}", req.query_string());
    let categories = b.round.rules().categories;
    render(&BoardPage {
        ctx,
        pager: super::paging::Pager::new(&req, &b.rows),
        round: b.round,
        rows: b.rows.items,
        reviewers: b.reviewers,
        loads: b.loads,
        progress: b.progress,
        q: bq,
        export_href,
        categories,
    })
}

/// The review board's rows the filter selects, all of them, as CSV.
async fn board_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    bq: super::input::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, lang) = (id.into_inner(), ctx.lang());
    let f = bq.filter()?;
    let (_, rows) = db::run(&state.pool, move |c| {
        crate::queries::reviews::board_export(c, &actor, id, &f)
    })
    .await?;
    let body: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let reviewers = r
                .reviewers
                .iter()
                .map(|(_, name, st)| {
                    format!(
                        "{name}（{}）",
                        filters::label_text(st, "ReviewStatus", lang)
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            vec![
                r.number,
                r.title,
                r.org_name,
                r.category,
                reviewers,
                r.open_slots.to_string(),
            ]
        })
        .collect();
    let keys = [
        "proposal.number",
        "proposal.title",
        "proposal.org",
        "proposal.category",
        "reviewer.reviewers",
        "reviewer.open_slots",
    ];
    let name = crate::i18n::t(crate::i18n::Lang::Zh, "export.review_board_file");
    super::screening::csv_download(
        lang,
        &keys,
        body,
        &format!("review-board-{id}.csv"),
        &format!("{name}-{id}.csv"),
    )
}

async fn start(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::reviews::start_review(c, &actor, id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/review"),
        "flash.review_started",
    ))
}

async fn auto(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::reviews::auto_assign(c, &settings, &actor, id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/review"),
        "flash.reviewers_assigned",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    reviewer_id: String,
}

async fn assign(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (pid, settings) = (id.into_inner(), state.settings.clone());
    let reviewer: i64 =
        f.0.reviewer_id
            .trim()
            .parse()
            .map_err(|_| FieldErrors::single("reviewer_id", "field.reviewer_unknown"))?;
    let round = db::run(&state.pool, move |c| {
        ops::reviews::assign(c, &settings, &actor, pid, reviewer)?;
        Ok(proposals::find(c, pid)?.round_id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{round}/review"),
        "flash.reviewers_assigned",
    ))
}

#[derive(Template)]
#[template(path = "reviews/decision.html")]
struct DecisionPage {
    ctx: PageCtx,
    round: RoundRow,
    d: crate::queries::decision::DecisionView,
    pager: super::paging::Pager,
    /// The publish form: the scheduled start typed (Beijing time) and its error.
    starts_at: String,
    errors: super::FormErrors,
}

impl DecisionPage {
    pub fn pts(&self, t: &i32) -> String {
        tenths_text(*t)
    }
    /// The link to the page where the funding line falls.
    pub fn line_href(&self) -> String {
        self.pager.href(self.d.line_page)
    }
}

/// The rows of the ranking a page or API request asks for: `?page` (default: the page where
/// the funding line falls) and `?per_page`.
pub fn ranking_rows(
    q: &super::paging::PageQuery,
) -> Result<crate::queries::decision::Rows, AppError> {
    let p = q.req()?;
    Ok(crate::queries::decision::Rows::Page {
        page: q.names_page().then_some(p.page),
        per_page: p.per_page,
    })
}

async fn decision(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: super::input::Query<super::paging::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let rows = ranking_rows(&q)?;
    decision_with(
        ctx,
        &req,
        &state,
        id.into_inner(),
        rows,
        (String::new(), crate::error::FieldErrors::new()),
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// The decision page, with the publish form as typed (`publish`: the scheduled start and its
/// errors) when it is shown again.
pub(super) async fn decision_with(
    ctx: PageCtx,
    req: &actix_web::HttpRequest,
    state: &AppState,
    id: i64,
    rows: crate::queries::decision::Rows,
    publish: (String, crate::error::FieldErrors),
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let a2 = actor.clone();
    let round = db::run(&state.pool, move |c| ops::rounds::find_managed(c, &a2, id)).await?;
    if matches!(
        round.status,
        crate::domain::round::RoundStatus::Notice | crate::domain::round::RoundStatus::Awarded
    ) {
        return Ok(super::see_other(&format!("/rounds/{id}/notice")));
    }
    let reads = state.reads.clone();
    let d = db::run(&state.pool, move |c| {
        crate::queries::decision::cached_rows(c, &reads, &actor, id, rows)
    })
    .await?;
    let pager = super::paging::Pager::of(req, d.total_rows as i64, d.page, d.per_page);
    let errors = ctx.errors(&publish.1);
    super::render_status(
        status,
        &DecisionPage {
            ctx,
            round,
            d,
            pager,
            starts_at: publish.0,
            errors,
        },
    )
}

/// The ranking as a table in the reader's language (for xlsx and PDF).
pub fn ranking_table(d: &crate::queries::decision::DecisionView, lang: crate::i18n::Lang) -> Table {
    use crate::i18n::t;
    let header = [
        "decision.rank",
        "proposal.number",
        "proposal.title",
        "proposal.org",
        "org.grade",
        "export.requested_yuan",
        "decision.final",
        "decision.mean",
        "decision.trimmed",
        "decision.normalised",
        "decision.spread",
        "decision.divergent",
        "decision.line",
        "export.amount_yuan",
    ]
    .iter()
    .map(|k| t(lang, k).to_string())
    .collect();
    let rows = d
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.rank as i64),
                Cell::text(r.number.clone().unwrap_or_default()),
                Cell::text(r.title.clone()),
                Cell::text(r.org_name.clone()),
                Cell::text(r.org_grade.clone().unwrap_or_default()),
                Cell::Money(r.requested_fen),
                Cell::Tenths(r.final_tenths),
                Cell::Tenths(r.mean_tenths),
                Cell::Tenths(r.trimmed_mean_tenths),
                Cell::Tenths(r.normalised_tenths),
                Cell::Tenths(r.spread_tenths),
                if r.divergent {
                    Cell::text("⚠")
                } else {
                    Cell::Empty
                },
                Cell::text(match r.partial_of_fen {
                    Some(_) => t(lang, "line.partial").to_string(),
                    None => t(lang, &format!("line.{}", r.line)).to_string(),
                }),
                Cell::Money(r.amount_fen),
            ]
        })
        .collect();
    Table {
        header,
        rows,
        notes: vec![funding_rule_row(d, lang)],
    }
}

/// The funding-line rule in force, as a row of an export: its name and what it does.
fn funding_rule_row(
    d: &crate::queries::decision::DecisionView,
    lang: crate::i18n::Lang,
) -> Vec<String> {
    use crate::i18n::t;
    vec![
        t(lang, "round.funding_rule").to_string(),
        t(lang, d.funding_rule.label_key()).to_string(),
        t(lang, d.funding_rule.hint_key()).to_string(),
    ]
}

/// The ranking of a round as xlsx.
pub async fn ranking_xlsx_response(
    state: &AppState,
    actor: Actor,
    id: i64,
    lang: crate::i18n::Lang,
) -> Result<HttpResponse, AppError> {
    let reads = state.reads.clone();
    let (round, d) = db::run(&state.pool, move |c| {
        let d = crate::queries::decision::cached_rows(
            c,
            &reads,
            &actor,
            id,
            crate::queries::decision::Rows::All,
        )?;
        Ok((crate::db::rounds::find(c, id)?, d))
    })
    .await?;
    let table = ranking_table(&d, lang);
    let sheet = crate::i18n::t(lang, "decision.title").to_string();
    let bytes = web::block(move || export::to_xlsx(&sheet, &table))
        .await
        .map_err(|e| AppError::Unexpected(e.to_string()))??;
    Ok(export::download(
        bytes,
        export::XLSX,
        &format!("ranking-{id}.xlsx"),
        &ranking_file_name(&round.title, "xlsx"),
    ))
}

/// The ranking's file name: the round and 排名, in Chinese.
fn ranking_file_name(round: &str, ext: &str) -> String {
    export::file_name(
        round,
        crate::i18n::t(crate::i18n::Lang::Zh, "export.ranking_file"),
        ext,
    )
}

/// What the published list (公示) says of a ranked proposal: removed after an upheld
/// objection (with the answer as the reason) or brought in from the waitlist (递补).
#[derive(Debug, Clone, Default)]
struct Published {
    removed: Option<String>,
    substitute: bool,
}

/// The published list of a round on notice or awarded, by proposal (none before).
fn published(
    c: &mut crate::db::DbConn,
    round: &RoundRow,
) -> Result<HashMap<i64, Published>, AppError> {
    use crate::domain::award::{AwardState, ObjectionStatus};
    use crate::domain::round::RoundStatus;
    if !matches!(round.status, RoundStatus::Notice | RoundStatus::Awarded) {
        return Ok(HashMap::new());
    }
    let answers: HashMap<i64, String> = crate::db::awards::objections(c, round.id)?
        .into_iter()
        .filter(|o| o.status == ObjectionStatus::Upheld)
        .map(|o| (o.proposal_id, o.response.unwrap_or_default()))
        .collect();
    Ok(crate::db::awards::awards(c, round.id)?
        .into_iter()
        .map(|a| {
            let removed = (a.state == AwardState::Removed)
                .then(|| answers.get(&a.proposal_id).cloned().unwrap_or_default());
            (
                a.proposal_id,
                Published {
                    removed,
                    substitute: a.substitute,
                },
            )
        })
        .collect())
}

/// The ranking of a round as a PDF: an official document for the review committee to sign,
/// in Chinese whatever the reader's language, A4 landscape, dated.
pub async fn ranking_pdf_response(
    state: &AppState,
    actor: Actor,
    id: i64,
) -> Result<HttpResponse, AppError> {
    use crate::domain::award::AwardState;
    use crate::domain::money::Fen;
    use crate::i18n::{t, tf, Lang};
    use crate::pdf::{Block, Document};
    let reads = state.reads.clone();
    let (round, d, listed) = db::run(&state.pool, move |c| {
        let d = crate::queries::decision::cached_rows(
            c,
            &reads,
            &actor,
            id,
            crate::queries::decision::Rows::All,
        )?;
        let round = crate::db::rounds::find(c, id)?;
        let listed = published(c, &round)?;
        Ok((round, d, listed))
    })
    .await?;
    let zh = Lang::Zh;
    let tr = move |k: &str| t(zh, k).to_string();
    let header = [
        "decision.rank",
        "proposal.number",
        "proposal.title",
        "proposal.org",
        "ranking_pdf.requested",
        "decision.final",
        "decision.line",
        "ranking_pdf.approved",
        "ranking_pdf.note",
    ]
    .iter()
    .map(|k| tr(k))
    .collect();
    let rows = d
        .rows
        .iter()
        .map(|r| {
            let p = listed.get(&r.proposal_id).cloned().unwrap_or_default();
            let mut notes = Vec::new();
            if let Some(why) = &p.removed {
                notes.push(tf(zh, "ranking_pdf.removed", &[("reason", why.clone())]));
            }
            if p.substitute {
                notes.push(tr("ranking_pdf.substitute"));
            }
            if let Some(why) = &r.reduce_reason {
                notes.push(tf(zh, "ranking_pdf.reduced", &[("reason", why.clone())]));
            }
            if let Some(why) = &r.override_reason {
                notes.push(tf(zh, "ranking_pdf.moved", &[("reason", why.clone())]));
            }
            let line = if p.removed.is_some() {
                tr("line.removed")
            } else if r.partial_of_fen.is_some() {
                tr("line.partial")
            } else {
                tr(&format!("line.{}", r.line))
            };
            let funded = r.line == AwardState::Funded && p.removed.is_none();
            vec![
                r.rank.to_string(),
                r.number.clone().unwrap_or_default(),
                r.title.clone(),
                r.org_name.clone(),
                Fen(r.requested_fen).to_string(),
                crate::domain::review::tenths_text(r.final_tenths),
                line,
                if funded {
                    Fen(r.amount_fen).to_string()
                } else {
                    "—".to_string()
                },
                notes.join("；"),
            ]
        })
        .collect();
    let rule = funding_rule_row(&d, zh);
    let as_of = super::fmt_time(db::now());
    let name = ranking_file_name(&round.title, "pdf");
    super::pdf_response(format!("ranking-{id}.pdf"), name, move || Document {
        title: round.title.clone(),
        blocks: vec![
            Block::Title(format!("{} · {}", round.title, tr("decision.title"))),
            Block::Paragraph(tf(zh, "ranking_pdf.as_of", &[("at", as_of.clone())])),
            Block::Facts(vec![
                (tr("round.total_budget"), Fen(d.budget_fen).to_string()),
                (tr("decision.used"), Fen(d.used_fen).to_string()),
                (tr("decision.remaining"), Fen(d.remaining_fen).to_string()),
                (rule[0].clone(), format!("{}：{}", rule[1], rule[2])),
            ]),
            Block::Table { header, rows },
            Block::Signature(vec![tr("ranking_pdf.committee"), tr("ranking_pdf.date")]),
        ],
        footer: tf(zh, "ranking_pdf.footer", &[("at", as_of)]),
        landscape: true,
    })
    .await
}

async fn ranking_xlsx(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    ranking_xlsx_response(&state, actor, id.into_inner(), ctx.lang()).await
}

async fn ranking_pdf(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    ranking_pdf_response(&state, actor, id.into_inner()).await
}
