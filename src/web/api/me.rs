//! The signed-in person's work queue (工作台) and in-app messages (站内消息).

use actix_web::{get, post};

use super::*;
use crate::queries::messages::Message;
use crate::queries::tasks::TaskQueue;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// Only items of this kind (one of the caller's role's kinds, e.g. `report_review`);
    /// the counts still cover every kind.
    kind: Option<String>,
}

/// What waits for the caller, by their role: the count of every kind, and the most urgent
/// items (50 over every kind, or 200 of `kind`) — overdue first, then the nearest due date,
/// then the longest waiting. Officers see their bureau's rounds and projects.
#[utoipa::path(params(TasksQuery), tag = "me", security(("bearer" = [])),
    responses((status = 200, body = TaskQueue), (status = 401), (status = 422, description = "`kind` is not one of the caller's kinds")))]
#[get("/me/tasks")]
pub(super) async fn my_tasks(
    caller: ApiUser,
    state: web::Data<AppState>,
    q: Query<TasksQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = caller.0;
    let only = crate::queries::tasks::parse_kind(&actor, q.kind.as_deref())?;
    let queue = db::run(&state.pool, move |c| {
        crate::queries::tasks::queue(c, &actor, only)
    })
    .await?;
    Ok(HttpResponse::Ok().json(queue))
}

/// The caller's in-app messages: every email sent to them, newest first, with read/unread.
/// Paged (`page`, `per_page`).
#[utoipa::path(params(PageQuery), tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<Message>, headers(("X-Total-Count" = i64, description = "Messages over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 401)))]
#[get("/me/messages")]
pub(super) async fn my_messages(
    req: HttpRequest,
    caller: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let actor = caller.0;
    let list = db::run(&state.pool, move |c| {
        crate::queries::messages::list(c, &actor, page)
    })
    .await?;
    Ok(json_page(&req, &list))
}

#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many messages were unread and are now read.
    marked: usize,
}

/// Marks every message of the caller read.
#[utoipa::path(tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead), (status = 401)))]
#[post("/me/messages/read")]
pub(super) async fn read_all_messages(
    caller: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = caller.0;
    let marked = db::run(&state.pool, move |c| {
        ops::messages::mark_all_read(c, &actor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MarkedRead { marked }))
}

/// Marks one message of the caller read (again: no change).
#[utoipa::path(tag = "me", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The message id, from `GET /api/v1/me/messages`.")),
    responses((status = 200, description = "read"), (status = 401), (status = 404, description = "no message of yours with that id")))]
#[post("/me/messages/{id}/read")]
pub(super) async fn read_message(
    caller: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = caller.0;
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::messages::mark_read(c, &actor, id)
    })
    .await?;
    Ok(ok())
}
