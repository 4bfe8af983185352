//! Beneficiary rosters in the API (issue 15): read and replace a report's roster, its xlsx
//! template and upload, and the officers' duplicates (重复受益). Identity numbers go in
//! whole and come out masked.

use actix_web::{get, post, put};

use super::*;
use crate::db::rosters::SharedPeople;
use crate::domain::report::GroupCount;
use crate::domain::roster::{Duplicate, RosterInput, RosterRules};
use crate::ops::rosters::Source;
use crate::queries::rosters::{LineView, ProjectDuplicates, RosterScreen};

#[derive(Serialize, ToSchema)]
pub struct RosterDetail {
    report_id: i64,
    project_id: i64,
    /// The round's roster rules.
    rules: RosterRules,
    /// Identity numbers masked.
    lines: Vec<LineView>,
    /// Unique people and person-times per group, from the lines.
    tallies: Vec<GroupCount>,
    /// Lines that are the same person.
    duplicates: Vec<Duplicate>,
    /// The roster's disagreements with the report that stop its submission (field, code).
    problems: Vec<(String, String)>,
    /// The caller may replace the lines.
    can_edit: bool,
}

impl From<RosterScreen> for RosterDetail {
    fn from(v: RosterScreen) -> Self {
        RosterDetail {
            report_id: v.report.id,
            project_id: v.project.id,
            rules: v.rules,
            lines: v.lines,
            tallies: v.tallies,
            duplicates: v.duplicates,
            problems: v
                .problems
                .0
                .iter()
                .map(|e| (e.field.clone(), e.msg.key.to_string()))
                .collect(),
            can_edit: v.can_edit,
        }
    }
}

/// The roster of a progress report (its organization and the bureau's officers).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "rosters", security(("bearer" = [])), responses((status = 200, body = RosterDetail), (status = 403), (status = 404)))]
#[get("/reports/{id}/roster")]
pub(super) async fn get_roster(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::rosters::report_roster(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RosterDetail::from(v)))
}

/// One line to store.
#[derive(Deserialize, ToSchema)]
pub struct RosterLine {
    /// To keep the number stored on an existing line: that line's `seq`, with its masked
    /// number repeated in `id_number`.
    #[serde(default)]
    seq: Option<i32>,
    /// A beneficiary group code (or its label).
    group: String,
    name: String,
    /// `phone` or `id_card`; omitted: told by the number's length when the round collects
    /// either.
    #[serde(default)]
    id_kind: Option<String>,
    /// The whole number (stored encrypted; shown masked).
    #[serde(default)]
    id_number: Option<String>,
    /// `YYYY-MM-DD`.
    first_served: String,
    person_times: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct RosterBody {
    lines: Vec<RosterLine>,
}

impl From<RosterLine> for RosterInput {
    fn from(l: RosterLine) -> Self {
        RosterInput {
            group: l.group,
            name: l.name,
            id_kind: l.id_kind.unwrap_or_default(),
            id_number: l.id_number.unwrap_or_default(),
            first_served: l.first_served,
            person_times: l.person_times.to_string(),
            keep: l.seq,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RosterSaved {
    /// How many lines the roster has now.
    lines: usize,
}

/// Replace an editable report's roster: every line checked (errors `roster.{index}.{column}`),
/// nothing stored unless all pass.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), request_body = RosterBody, tag = "rosters", security(("bearer" = [])), responses((status = 200, body = RosterSaved), (status = 403), (status = 409), (status = 422)))]
#[put("/reports/{id}/roster")]
pub(super) async fn put_roster(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RosterBody>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let inputs: Vec<RosterInput> = body
        .into_inner()
        .lines
        .into_iter()
        .map(Into::into)
        .collect();
    let key = state.pii.clone();
    let lines = db::run(&state.pool, move |c| {
        ops::rosters::replace(c, &key, &user.0, id, &inputs, Source::Api)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RosterSaved { lines }))
}

/// The xlsx template of the report's roster (in the `Accept-Language` language).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "rosters", security(("bearer" = [])), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403)))]
#[get("/reports/{id}/roster/template.xlsx")]
pub(super) async fn roster_template(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    let bytes = crate::web::rosters::template_bytes(&state, user.0, id.into_inner(), lang).await?;
    Ok(crate::web::rosters::template_download(bytes, lang))
}

/// Replace an editable report's roster with a filled template (multipart `file`, xlsx);
/// every bad cell is an error naming its sheet row.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "rosters", security(("bearer" = [])), responses((status = 200, body = RosterSaved), (status = 403), (status = 409), (status = 422)))]
#[post("/reports/{id}/roster/xlsx")]
pub(super) async fn upload_roster(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(crate::domain::roster_sheet::MAX_BYTES, Sender::Bearer)
        .await?;
    let inputs = crate::domain::roster_sheet::read(&up.bytes).map_err(AppError::Validation)?;
    let key = state.pii.clone();
    let lines = db::run(&state.pool, move |c| {
        ops::rosters::replace(c, &key, &user.0, id, &inputs, Source::Sheet)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RosterSaved { lines }))
}

/// A project's duplicates for the bureau's officers: the same person twice in its latest
/// filed roster, and the bureau's other projects counting some of its people (counts and the
/// other project's number and title only).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "rosters", security(("bearer" = [])), responses((status = 200, body = ProjectDuplicates), (status = 403), (status = 404)))]
#[get("/projects/{id}/duplicates")]
pub(super) async fn project_duplicates(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let d = db::run(&state.pool, move |c| {
        crate::queries::rosters::project_duplicates(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Every pair of the officer's bureau's projects counting some of the same people
/// (重复受益), most shared first (the first 200 pairs), paged (`page`, `per_page`).
#[utoipa::path(params(PageQuery), tag = "rosters", security(("bearer" = [])), responses((status = 200, body = Vec<SharedPeople>, headers(("X-Total-Count" = i64, description = "Pairs over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/duplicates")]
pub(super) async fn bureau_duplicates(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let pairs = db::run(&state.pool, move |c| {
        crate::queries::rosters::bureau_duplicates(c, &user.0)
    })
    .await?;
    Ok(crate::web::paging::json_slice(&req, pairs, page))
}
