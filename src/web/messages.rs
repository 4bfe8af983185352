//! 站内消息: the signed-in person's in-app messages (every email they were sent), with
//! marking read. The navigation shows the unread count.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::account::Empty;
use super::filters;
use super::input::Query;
use super::paging::{PageQuery, Pager};
use super::{render, see_other, AppState, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db::{self, Paged};
use crate::error::AppError;
use crate::ops;
use crate::queries::messages::{self, Message};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/messages", web::get().to(list))
        .route("/messages/read-all", web::post().to(read_all))
        .route("/messages/{id}/read", web::post().to(read_one));
}

#[derive(Template)]
#[template(path = "account/messages.html")]
struct MessagesPage {
    ctx: PageCtx,
    list: Paged<Message>,
    pager: Pager,
}

async fn list(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let page = q.req()?;
    let list = db::run(&state.pool, move |c| messages::list(c, &actor, page)).await?;
    let pager = Pager::new(&req, &list);
    render(&MessagesPage { ctx, list, pager })
}

async fn read_one(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::messages::mark_read(c, &actor, id)
    })
    .await?;
    Ok(see_other(&format!("/messages#message-{id}")))
}

async fn read_all(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    db::run(&state.pool, move |c| {
        ops::messages::mark_all_read(c, &actor)
    })
    .await?;
    Ok(see_other("/messages"))
}
