//! Pages of organizations: registration, profile, documents, members, and the officers'
//! verification.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::filters;
use super::input::Query;
use super::upload::{self, MultipartBody, Sender};
use super::{form_done, render, render_status, versioned_form_done, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::{self, Action};
use crate::db::orgs::{OrgFilter, OrgListItem, OrgRow};
use crate::db::{self, Paged};
use crate::domain::org::{Grade, Inspection, InspectionInput, OrgInput, OrgKind, RegType};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::ops;
use crate::ops::accounts::InviteInput;
use crate::queries;
use crate::queries::orgs::OrgView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs", web::get().to(list))
        .route("/orgs", web::post().to(create))
        .route("/orgs/new", web::get().to(new_page))
        .route("/orgs/{id}", web::get().to(show))
        .route("/orgs/{id}/edit", web::get().to(edit_page))
        .route("/orgs/{id}/edit", web::post().to(update))
        .route("/orgs/{id}/verify", web::post().to(verify))
        .route("/orgs/{id}/reject", web::post().to(reject))
        .route("/orgs/{id}/accept-uscc", web::post().to(accept_uscc))
        .route("/orgs/{id}/credit", web::post().to(credit))
        .route("/orgs/{id}/bars", web::post().to(bar))
        .route("/orgs/{id}/members", web::post().to(invite_member))
        .route("/orgs/{id}/documents", web::post().to(upload))
        .route("/orgs/{id}/documents/{doc}", web::get().to(download));
}

/// Years offered in the annual-inspection rows of the form: the last three.
fn inspection_years() -> [i32; 3] {
    use chrono::Datelike;
    let y = db::today().year();
    [y - 1, y - 2, y - 3]
}

/// The registration form as posted (flat, all text, so nothing typed is lost).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrgForm {
    pub kind: String,
    pub version: String,
    pub name: String,
    pub reg_type: String,
    pub uscc: String,
    pub uscc_manual_check: Option<String>,
    pub sponsor_org: String,
    pub registered_on: String,
    pub reg_authority: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    pub district: String,
    pub street: String,
    pub grade: String,
    pub grade_date: String,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    pub insp_result_0: String,
    pub insp_result_1: String,
    pub insp_result_2: String,
}

impl OrgForm {
    fn input(&self) -> OrgInput {
        let years = inspection_years();
        let results = [
            &self.insp_result_0,
            &self.insp_result_1,
            &self.insp_result_2,
        ];
        OrgInput {
            name: self.name.clone(),
            reg_type: self.reg_type.clone(),
            uscc: self.uscc.clone(),
            uscc_manual_check: self.uscc_manual_check.is_some(),
            sponsor_org: self.sponsor_org.clone(),
            registered_on: self.registered_on.clone(),
            reg_authority: self.reg_authority.clone(),
            legal_rep: self.legal_rep.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            contact_email: self.contact_email.clone(),
            address: self.address.clone(),
            district: self.district.clone(),
            street: self.street.clone(),
            grade: self.grade.clone(),
            grade_date: self.grade_date.clone(),
            bank_name: self.bank_name.clone(),
            bank_account_name: self.bank_account_name.clone(),
            bank_account_no: self.bank_account_no.clone(),
            inspections: years
                .iter()
                .zip(results)
                .map(|(y, r)| InspectionInput {
                    year: *y,
                    result: r.clone(),
                })
                .collect(),
        }
    }

    fn from_row(o: &OrgRow, inspections: &[(i32, String)]) -> Self {
        let years = inspection_years();
        let result_of = |i: usize| {
            inspections
                .iter()
                .find(|(y, _)| *y == years[i])
                .map(|(_, r)| r.clone())
                .unwrap_or_default()
        };
        OrgForm {
            kind: o.kind.to_string(),
            version: o.version.to_string(),
            name: o.name.clone(),
            reg_type: o.reg_type.clone(),
            uscc: o.uscc.clone().unwrap_or_default(),
            uscc_manual_check: o.uscc_check_failed.then(|| "on".to_string()),
            sponsor_org: o.sponsor_org.clone().unwrap_or_default(),
            registered_on: super::filters::date_text(o.registered_on),
            reg_authority: o.reg_authority.clone(),
            legal_rep: o.legal_rep.clone(),
            contact_name: o.contact_name.clone(),
            contact_phone: o.contact_phone.clone(),
            contact_email: o.contact_email.clone(),
            address: o.address.clone(),
            district: o.district.clone(),
            street: o.street.clone(),
            grade: o.grade.clone().unwrap_or_default(),
            grade_date: super::filters::date_text(o.grade_date),
            bank_name: o.bank_name.clone(),
            bank_account_name: o.bank_account_name.clone(),
            bank_account_no: o.bank_account_no.clone(),
            insp_result_0: result_of(0),
            insp_result_1: result_of(1),
            insp_result_2: result_of(2),
        }
    }

    fn kind(&self) -> OrgKind {
        OrgKind::parse(&self.kind).unwrap_or(OrgKind::Ngo)
    }

    /// The result chosen for the inspection row `i` (for the template).
    pub fn insp(&self, i: &usize) -> &str {
        match *i {
            0 => &self.insp_result_0,
            1 => &self.insp_result_1,
            _ => &self.insp_result_2,
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: OrgForm,
    errors: FormErrors,
    /// `None` when registering.
    org_id: Option<i64>,
    years: [i32; 3],
    reg_types: Vec<RegType>,
    grades: &'static [Grade],
    inspections: &'static [Inspection],
}

impl FormPage {
    fn new(ctx: PageCtx, form: OrgForm, errors: FormErrors, org_id: Option<i64>) -> Self {
        let kind = form.kind();
        FormPage {
            ctx,
            form,
            errors,
            org_id,
            years: inspection_years(),
            reg_types: RegType::ALL
                .iter()
                .copied()
                .filter(|t| t.allowed_for(kind))
                .collect(),
            grades: Grade::ALL,
            inspections: Inspection::ALL,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct KindQuery {
    kind: Option<String>,
}

async fn new_page(ctx: PageCtx, q: Query<KindQuery>) -> Result<HttpResponse, AppError> {
    let kind = q
        .kind
        .as_deref()
        .and_then(OrgKind::parse)
        .unwrap_or(OrgKind::Ngo);
    policy::require(ctx.user()?, Action::RegisterOrg(kind))?;
    let form = OrgForm {
        kind: kind.as_str().to_string(),
        ..Default::default()
    };
    render(&FormPage::new(ctx, form, FormErrors::default(), None))
}

async fn create(
    ctx: PageCtx,
    state: web::Data<AppState>,
    form: CsrfForm<OrgForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let form = form.0;
    let (input, kind, settings) = (form.input(), form.kind(), state.settings.clone());
    let done = db::run(&state.pool, move |c| {
        ops::orgs::register(c, &settings, &actor, kind, &input)
    })
    .await;
    form_done(
        done,
        |id: i64| format!("/orgs/{id}"),
        "flash.org_registered",
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(status, &FormPage::new(ctx, form, errors, None))
        },
    )
    .await
}

async fn edit_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let (org, insp) = db::run(&state.pool, move |c| queries::orgs::for_edit(c, &actor, id)).await?;
    render(&FormPage::new(
        ctx,
        OrgForm::from_row(&org, &insp),
        FormErrors::default(),
        Some(id),
    ))
}

async fn update(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<OrgForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let form = form.0;
    let version: i32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("error.malformed_form"))?;
    let (input, settings) = (form.input(), state.settings.clone());
    let done = db::run(&state.pool, move |c| {
        ops::orgs::update(c, &settings, &actor, id, version, &input)
    })
    .await;
    versioned_form_done(
        done,
        format!("/orgs/{id}"),
        "flash.org_updated",
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(status, &FormPage::new(ctx, form, errors, Some(id)))
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct ShowPage {
    ctx: PageCtx,
    v: OrgView,
    errors: FormErrors,
    doc_kinds: &'static [crate::domain::org::DocKind],
}

async fn show_with(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let v = db::run(&state.pool, move |c| queries::orgs::org(c, &actor, id)).await?;
    let errors = ctx.errors(&errors);
    let page = ShowPage {
        ctx,
        v,
        errors,
        doc_kinds: ops::orgs::DOCUMENT_KINDS,
    };
    render_status(status, &page)
}

async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_with(
        ctx,
        &state,
        id.into_inner(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Runs an officer's or member's action from the profile page; field errors re-render the
/// page with the message next to the form that caused it.
async fn act<F>(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: i64,
    flash: &str,
    f: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut db::DbConn) -> Result<(), AppError> + Send + 'static,
{
    let done = db::run(&state.pool, f).await;
    form_done(done, format!("/orgs/{id}"), flash, async |e, status| {
        show_with(ctx, &state, id, e, status).await
    })
    .await
}

async fn verify(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    act(ctx, state, id, "flash.org_verified", move |c| {
        ops::orgs::verify(c, &settings, &actor, id)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn reject(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings, reason) = (id.into_inner(), state.settings.clone(), f.0.reason);
    act(ctx, state, id, "flash.org_rejected", move |c| {
        ops::orgs::reject(c, &settings, &actor, id, &reason)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn accept_uscc(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, note) = (id.into_inner(), f.0.note);
    act(ctx, state, id, "flash.uscc_accepted", move |c| {
        ops::orgs::accept_uscc(c, &actor, id, &note)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct CreditForm {
    credit_flag_org: Option<String>,
    credit_flag_legal_rep: Option<String>,
    #[serde(default)]
    note: String,
}

async fn credit(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<CreditForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let f = f.0;
    let (a, b) = (
        f.credit_flag_org.is_some(),
        f.credit_flag_legal_rep.is_some(),
    );
    act(ctx, state, id, "flash.credit_saved", move |c| {
        ops::orgs::set_credit(c, &actor, id, a, b, &f.note)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BarForm {
    until: String,
    bar_reason: String,
}

async fn bar(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<BarForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings, f) = (id.into_inner(), state.settings.clone(), f.0);
    let until = match f.until.trim() {
        "" => None,
        d => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return show_with(
                    ctx,
                    &state,
                    id,
                    single("until", "field.date_invalid"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    };
    act(ctx, state, id, "flash.org_barred", move |c| {
        ops::orgs::bar(c, &settings, &actor, id, until, &f.bar_reason)
    })
    .await
}

fn single(field: &str, key: &'static str) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(field, Msg::new(key));
    e
}

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

async fn invite_member(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let input = InviteInput {
        email: f.0.email,
        name: f.0.name,
        ..Default::default()
    };
    act(ctx, state, id, "flash.member_invited", move |c| {
        ops::accounts::invite(c, &settings, &actor, &input, Some(id)).map(|_| ())
    })
    .await
}

async fn upload(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let max = state.settings.upload_max_bytes;
    let up = match payload.read(max, Sender::Page).await {
        Ok(up) => up,
        Err(e) => {
            let (e, status) = upload::shown_on_form(e, max)?;
            return show_with(ctx, &state, id, e, status).await;
        }
    };
    act(ctx, state, id, "flash.document_uploaded", move |c| {
        ops::orgs::upload_document(c, &actor, id, &up.kind, &up.filename, &up.bytes).map(|_| ())
    })
    .await
}

/// Serves a stored document to those who may see the organization.
pub async fn document_response(
    state: &AppState,
    actor: policy::Actor,
    id: i64,
    doc: i64,
) -> Result<HttpResponse, AppError> {
    let (meta, bytes) = db::run(&state.pool, move |c| {
        queries::orgs::document(c, &actor, id, doc)
    })
    .await?;
    Ok(super::file_download(
        meta.content_type,
        &format!("document-{}", meta.id),
        &meta.filename,
        bytes,
    ))
}

async fn download(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, doc) = path.into_inner();
    document_response(&state, actor, id, doc).await
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    ctx: PageCtx,
    list: Paged<OrgListItem>,
    filter: OrgFilter,
    statuses: [&'static str; 3],
}

async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<OrgFilter>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let filter = q.into_inner();
    let f = filter.clone();
    let list = db::run(&state.pool, move |c| queries::orgs::list(c, &actor, &f)).await?;
    render(&ListPage {
        ctx,
        list,
        filter,
        statuses: ["pending", "verified", "rejected"],
    })
}
