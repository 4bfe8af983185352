use actix_web::get;

use super::rounds::{round_detail, RoundDetail};
use super::*;
use crate::web::public_cache;

/// Published rounds (open ones first, the latest 100); no sign-in needed. Paged (`page`,
/// `per_page`: 50 by default) with `X-Total-Count` and `Link`.
#[utoipa::path(params(PageQuery), tag = "public", responses((status = 200, body = Vec<RoundDetail>, headers(("X-Total-Count" = i64, description = "Calls over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/calls")]
pub(super) async fn list_calls(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (lang, page) = (lang_of(&req), q.req()?);
    let st = state.clone();
    let key = public_cache::Key::new("calls_api", None, lang);
    public_cache::json_page(&req, &state, key, page, || async move {
        let calls: Vec<RoundDetail> = crate::web::rounds::public_rounds(&st, 100)
            .await?
            .into_iter()
            .map(|v| round_detail(v, lang))
            .collect();
        let total = calls.len() as i64;
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let per = usize::try_from(page.per_page).unwrap_or(0);
        let shown: Vec<&RoundDetail> = calls.iter().skip(start).take(per).collect();
        Ok((public_cache::to_json(&shown)?, total))
    })
    .await
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "public", responses((status = 200, body = RoundDetail), (status = 404)))]
#[get("/calls/{id}")]
pub(super) async fn get_call(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, lang, st) = (id.into_inner(), lang_of(&req), state.clone());
    let key = public_cache::Key::new("call_api", Some(id), lang);
    public_cache::json(&req, &state, key, || async move {
        let v = crate::web::rounds::public_round(&st, id).await?;
        public_cache::to_json(&round_detail(v, lang))
    })
    .await
}

/// The application guide as a PDF: an official document, always in Chinese.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "public", responses((status = 200, content_type = "application/pdf"), (status = 404)))]
#[get("/calls/{id}/guide.pdf")]
pub(super) async fn call_guide(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::rounds::guide_response(&state, id.into_inner()).await
}
