//! The public verification page of an issued document (`/verify/{code}`, the link of the QR
//! code printed on it) and the code's lookup shared with `GET /api/v1/verify/{code}`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{filters, render, AppState, PageCtx};
use crate::db;
use crate::domain::money::Fen;
use crate::error::AppError;
use crate::queries::verify::VerifiedDocument;

pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/verify/{code}", web::get().to(page));
}

/// Looks a code up for anyone: a malformed code is unknown (404) without a query; every
/// lookup counts against the client's limit, so codes cannot be tried in bulk.
pub async fn lookup(
    state: &AppState,
    req: &HttpRequest,
    code: &str,
) -> Result<VerifiedDocument, AppError> {
    let code = crate::domain::verify::parse(code).ok_or(AppError::NotFound)?;
    let client = super::client_addr(req, &state.settings);
    let (max, window) = (
        state.settings.verify_limit_per_client,
        chrono::Duration::minutes(state.settings.rate_window_minutes),
    );
    db::run(&state.pool, move |c| {
        db::throttle::hit(
            c,
            &format!("verify:client:{client}"),
            db::now(),
            max,
            window,
        )?;
        crate::queries::verify::document(c, &code)
    })
    .await
}

#[derive(Template)]
#[template(path = "verify/show.html")]
struct VerifyPage {
    ctx: PageCtx,
    d: VerifiedDocument,
}

impl VerifyPage {
    fn grant(&self) -> String {
        Fen(self.d.grant_fen).to_string()
    }
    /// An evaluation summary's result: "良好（85.3 分）".
    fn result(&self) -> Option<String> {
        let grade = self.d.grade.as_deref()?;
        Some(match self.d.total_tenths {
            Some(t) => format!("{grade}（{}）", crate::domain::review::tenths_text(t)),
            None => grade.to_string(),
        })
    }
}

async fn page(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = lookup(&state, &req, &code).await?;
    render(&VerifyPage { ctx, d })
}
