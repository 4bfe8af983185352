use actix_web::get;

use super::*;
use crate::queries::verify::VerifiedDocument;

/// The key facts of an issued document (award notice, agreement, completion certificate) by
/// the verification code printed on it, with its SHA-256 and whether it still stands; no
/// sign-in needed, rate-limited per client address. Unknown or malformed codes are 404.
#[utoipa::path(params(("code" = String, Path, description = "The verification code printed on the document (dashes optional)")), tag = "public", responses((status = 200, body = VerifiedDocument), (status = 404), (status = 429)))]
#[get("/verify/{code}")]
pub(super) async fn verify_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = crate::web::verify::lookup(&state, &req, &code).await?;
    Ok(HttpResponse::Ok().json(d))
}
