//! Offset paging shared by pages and the API: the `?page&per_page` query, the `Link`
//! (RFC 8288) and `X-Total-Count` headers of an API list, and the pager under a page's table.
//! Links keep every other parameter of the request (the list's filters and sort).

use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::{PageReq, Paged};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;

/// `?page` (from 1; below 1 reads as 1) and `?per_page` (default 50, at most 200; out of
/// range is clamped). A value that is not a whole number is refused naming its field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1 (default 1).
    #[param(value_type = Option<i64>)]
    page: Option<String>,
    /// Rows per page (default 50, at most 200).
    #[param(value_type = Option<i64>)]
    per_page: Option<String>,
}

impl PageQuery {
    pub fn req(&self) -> Result<PageReq, AppError> {
        let mut e = FieldErrors::new();
        let page = whole(&mut e, "page", self.page.as_deref());
        let per_page = whole(&mut e, "per_page", self.per_page.as_deref());
        e.into_result()?;
        Ok(PageReq::new(page, per_page))
    }

    /// Whether the request names a page (a list whose default page is not the first, like the
    /// ranking's, reads it).
    pub fn names_page(&self) -> bool {
        self.page.as_deref().is_some_and(|s| !s.trim().is_empty())
    }
}

fn whole(e: &mut FieldErrors, field: &str, v: Option<&str>) -> Option<i64> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            e.add(field, Msg::new("field.page_number"));
            None
        }
    }
}

/// The request's path and query with `page` set to `page`.
fn href(req: &HttpRequest, page: i64) -> String {
    format!(
        "{}?{}",
        req.path(),
        query_with_page(req.query_string(), page)
    )
}

/// A query string with its `page` pairs replaced by `page=<page>` at the end.
fn query_with_page(query: &str, page: i64) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "page" {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("page", &page.to_string());
    out.finish()
}

/// An API list: the body is the page's rows as a JSON array; `X-Total-Count` gives the number
/// of rows over all pages and `Link` the first, previous, next and last pages.
pub fn json_page<T: Serialize>(req: &HttpRequest, list: &Paged<T>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    for h in list_headers(req, list.page, list.per_page, list.total) {
        res.insert_header(h);
    }
    res.json(&list.items)
}

/// An API list whose body is the [`Paged`] object itself (`items`, `total`, `page`,
/// `per_page`), with the same `X-Total-Count` and `Link` headers as [`json_page`].
pub fn json_paged<T: Serialize>(req: &HttpRequest, list: &Paged<T>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    for h in list_headers(req, list.page, list.per_page, list.total) {
        res.insert_header(h);
    }
    res.json(list)
}

/// [`json_page`] of a list that is short by nature (a project's reports, an account's
/// sessions), read whole and paged here.
pub fn json_slice<T: Serialize>(req: &HttpRequest, items: Vec<T>, p: PageReq) -> HttpResponse {
    let total = items.len() as i64;
    let start = usize::try_from(p.offset()).unwrap_or(usize::MAX);
    let per = usize::try_from(p.per_page).unwrap_or(0);
    json_page(
        req,
        &p.paged(items.into_iter().skip(start).take(per).collect(), total),
    )
}

/// How many pages `total` rows make at `per_page` a page (at least one).
fn pages_of(total: i64, per_page: i64) -> i64 {
    PageReq::new(None, Some(per_page))
        .paged(Vec::<()>::new(), total)
        .pages()
}

/// `x-total-count` and `link` (first, previous, next, last) of one page of a list.
pub fn list_headers(
    req: &HttpRequest,
    page: i64,
    per_page: i64,
    total: i64,
) -> [(&'static str, String); 2] {
    let pages = pages_of(total, per_page);
    let mut links = vec![format!("<{}>; rel=\"first\"", href(req, 1))];
    if page > 1 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            href(req, (page - 1).min(pages))
        ));
    }
    if page < pages {
        links.push(format!("<{}>; rel=\"next\"", href(req, page + 1)));
    }
    links.push(format!("<{}>; rel=\"last\"", href(req, pages)));
    [
        ("x-total-count", total.to_string()),
        ("link", links.join(", ")),
    ]
}

/// The pager under a page's table (`templates/pager.html`): the total, the page of pages and
/// links to the previous and next pages that keep the request's filters.
#[derive(Debug, Clone)]
pub struct Pager {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    query: String,
    /// The path the links go to (empty: the page's own).
    path: String,
}

impl Pager {
    pub fn new<T>(req: &HttpRequest, list: &Paged<T>) -> Self {
        Self::of(req, list.total, list.page, list.per_page)
    }
    /// The pager of page `page` of `total` rows, `per_page` a page.
    pub fn of(req: &HttpRequest, total: i64, page: i64, per_page: i64) -> Self {
        let pages = pages_of(total, per_page);
        Pager {
            total,
            page,
            pages,
            query: req.query_string().to_string(),
            path: String::new(),
        }
    }
    /// The same pager with links to `path` (for a page rendered at another address, like a
    /// form's answer).
    pub fn at(self, path: impl Into<String>) -> Self {
        Pager {
            path: path.into(),
            ..self
        }
    }
    /// `?…&page=<page>` for a link.
    pub fn href(&self, page: i64) -> String {
        format!("{}?{}", self.path, query_with_page(&self.query, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_keeps_the_filters_and_replaces_the_page() {
        assert_eq!(
            query_with_page("round=3&page=2&q=a+b", 4),
            "round=3&q=a+b&page=4"
        );
        assert_eq!(query_with_page("", 1), "page=1");
    }

    #[test]
    fn a_page_number_that_is_not_a_number_names_its_field() {
        let q = PageQuery {
            page: Some("abc".into()),
            per_page: Some("500".into()),
        };
        match q.req() {
            Err(AppError::Validation(e)) => assert!(e.has("page") && !e.has("per_page")),
            other => panic!("expected a validation error, got {other:?}"),
        }
        let q = PageQuery {
            page: Some("0".into()),
            per_page: Some("500".into()),
        };
        let r = q.req().expect("a valid page");
        assert_eq!((r.page, r.per_page), (1, 200));
        let r = PageQuery::default().req().expect("the default page");
        assert_eq!((r.page, r.per_page), (1, 50));
    }
}
