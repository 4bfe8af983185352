//! Lists page in SQL: `?page&per_page`, the total, `Link` and `X-Total-Count` on the API's
//! arrays, the pager on pages keeping the filters, and refused or clamped page numbers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::dual;
use crate::execution::awarded;
use crate::helpers::{has_error, spawn, table_rows, Backend, TestApp};

/// The status, `X-Total-Count`, `Link` and JSON body of an API GET.
async fn get_paged(app: &TestApp, path: &str, token: &str) -> (StatusCode, i64, String, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let total = header("x-total-count").parse().unwrap_or(-1);
    let link = header("link");
    (status, total, link, r.json().await.unwrap())
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn the_projects_list_pages_with_links_and_a_total(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let base = format!("/api/v1/projects?round_id={}", a.round);

    let (s, total, link, all) = get_paged(&app, &base, &a.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 2));
    let all = ids(&all);
    assert_eq!(all.len(), 2, "both projects on the default page of 50");
    assert!(
        !link.contains("rel=\"next\"") && !link.contains("rel=\"prev\""),
        "{link}"
    );

    let (s, total, link, first) = get_paged(&app, &format!("{base}&per_page=1"), &a.officer).await;
    assert_eq!((s, total, ids(&first)), (StatusCode::OK, 2, vec![all[0]]));
    let round = a.round;
    assert!(
        link.contains(&format!(
            "</api/v1/projects?round_id={round}&per_page=1&page=2>; rel=\"next\""
        )) && link.contains(&format!(
            "</api/v1/projects?round_id={round}&per_page=1&page=2>; rel=\"last\""
        )) && link.contains(&format!(
            "</api/v1/projects?round_id={round}&per_page=1&page=1>; rel=\"first\""
        )) && !link.contains("rel=\"prev\""),
        "{link}"
    );

    let (_, total, link, second) =
        get_paged(&app, &format!("{base}&per_page=1&page=2"), &a.officer).await;
    assert_eq!((total, ids(&second)), (2, vec![all[1]]));
    assert!(
        link.contains("page=1>; rel=\"prev\"") && !link.contains("rel=\"next\""),
        "{link}"
    );

    let (_, total, _, beyond) =
        get_paged(&app, &format!("{base}&per_page=1&page=9"), &a.officer).await;
    assert_eq!(
        (total, ids(&beyond)),
        (2, vec![]),
        "a page past the end is empty"
    );

    let (s, _, _, capped) =
        get_paged(&app, &format!("{base}&per_page=5000&page=0"), &a.officer).await;
    assert_eq!(
        (s, ids(&capped)),
        (StatusCode::OK, all.clone()),
        "clamped, not refused"
    );

    let (s, _, _, v) = get_paged(&app, &format!("{base}&page=two"), &a.officer).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "page"), "{v}");

    // The page: one row per page, the total over all, the pager keeps the round filter.
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(&app, &format!("/projects?round={round}&per_page=1&page=2"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let rows = table_rows(&html, "projects");
    assert_eq!(rows.len(), 1, "{html}");
    assert!(
        html.contains(&format!("href=\"/projects/{}\"", all[1]))
            && !html.contains(&format!("href=\"/projects/{}\"", all[0])),
        "the second project on page 2"
    );
    assert!(
        html.replace("&#38;", "&")
            .contains(&format!("href=\"?round={round}&per_page=1&page=1\""))
            && html.contains(" 2 · 2/2"),
        "{html}"
    );
}
dual!(the_projects_list_pages_with_links_and_a_total);

async fn the_public_results_api_pages(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/results/{}?per_page=1&page=2", a.round)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-total-count"], "2");
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    let v: Value = r.json().await.unwrap();
    let (_, all) = app.get(&format!("/api/v1/results/{}", a.round), None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["agreement_no"], all[1]["agreement_no"], "{all}");
    assert_eq!(
        r_cache(&app, a.round, "per_page=1&page=2").await.0,
        "bypass"
    );

    // The first pages at the default size are kept (the read of `all` above put it in the
    // cache): a later read is a hit with the same body and the same list headers.
    let first = r_cache(&app, a.round, "").await;
    let again = r_cache(&app, a.round, "").await;
    assert_eq!((first.0.as_str(), again.0.as_str()), ("hit", "hit"));
    assert_eq!(first.1, again.1);
    assert_eq!(again.1 .0, "2");
    assert!(again.1 .1.contains("rel=\"last\""), "{:?}", again.1);
    assert_eq!(again.2, first.2);
    assert_eq!(again.2.as_array().map(Vec::len), Some(2));
}
dual!(the_public_results_api_pages);

/// `X-Cache`, (`X-Total-Count`, `Link`) and the body of an anonymous read of the results.
async fn r_cache(app: &TestApp, round: i64, query: &str) -> (String, (String, String), Value) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/results/{round}?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = |n: &str| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let out = (h("x-cache"), (h("x-total-count"), h("link")));
    (out.0, out.1, r.json().await.unwrap())
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The main list queries read an index on PostgreSQL (sequential scans off, since the test
/// tables are tiny): no list walks a whole table.
#[actix_rt::test]
async fn postgres_list_queries_use_an_index() {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    use yichuang::db::DbConn;
    let app = spawn(Backend::Postgres).await;
    let plans = app
        .db(|c| {
            let DbConn::Pg(pg) = c else {
                panic!("a PostgreSQL connection")
            };
            pg.batch_execute("SET enable_seqscan = off").unwrap();
            let lists = [
                "SELECT projects.id FROM projects JOIN organizations ON organizations.id = projects.org_id \
                 JOIN rounds ON rounds.id = projects.round_id WHERE projects.round_id = 1 \
                 ORDER BY projects.id LIMIT 50 OFFSET 50",
                "SELECT projects.id FROM projects WHERE projects.org_id = 1 ORDER BY projects.id LIMIT 50",
                "SELECT rounds.id FROM rounds WHERE rounds.bureau_id = 1 ORDER BY rounds.id",
                "SELECT id FROM proposals WHERE round_id = 1 AND status = 'submitted' ORDER BY id LIMIT 50",
                "SELECT id FROM reviews WHERE reviewer_id = 1 AND status = 'assigned'",
                "SELECT id FROM reviews WHERE round_id = 1 AND status = 'submitted'",
                "SELECT id FROM organizations ORDER BY id DESC LIMIT 50 OFFSET 100",
            ];
            lists
                .iter()
                .map(|q| {
                    let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN {q}")).load(pg).unwrap();
                    let plan: Vec<String> = plan.into_iter().map(|l| l.line).collect();
                    (q.to_string(), plan.join("\n"))
                })
                .collect::<Vec<_>>()
        })
        .await;
    for (q, plan) in plans {
        assert!(
            plan.contains("Index") && !plan.contains("Seq Scan"),
            "{q}\n{plan}"
        );
    }
}
