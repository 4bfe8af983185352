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
                // The decision page's candidates and their reviews.
                "SELECT id FROM proposals WHERE round_id = 1 AND status = 'eligible' ORDER BY id",
                RANKING_REVIEWS,
                // The review board: a page of the proposals in review, their reviews, the loads.
                "SELECT proposals.id FROM proposals JOIN organizations ON organizations.id = proposals.org_id \
                 WHERE proposals.round_id = 1 AND proposals.status = 'eligible' ORDER BY proposals.id LIMIT 50 OFFSET 50",
                "SELECT reviews.id FROM reviews JOIN users ON users.id = reviews.reviewer_id \
                 WHERE reviews.proposal_id IN (1, 2, 3) ORDER BY reviews.id",
                "SELECT reviewer_id, status, COUNT(*) FROM reviews WHERE round_id = 1 GROUP BY reviewer_id, status",
                // The reviewer's queue.
                "SELECT id FROM reviews WHERE reviewer_id = 1 ORDER BY id DESC LIMIT 50 OFFSET 50",
                // The notice's list and its funded sum.
                "SELECT proposal_id FROM awards WHERE round_id = 1 AND state IN ('funded', 'removed') \
                 ORDER BY rank LIMIT 50 OFFSET 50",
                "SELECT SUM(amount_fen) FROM awards WHERE round_id = 1 AND state = 'funded'",
                // The dashboards' table, filtered and sorted, and their totals.
                "SELECT projects.id FROM projects JOIN rounds ON rounds.id = projects.round_id \
                 WHERE projects.bureau_id = 1 AND projects.status = 'active' ORDER BY projects.id LIMIT 50",
                "SELECT projects.id FROM projects JOIN rounds ON rounds.id = projects.round_id \
                 WHERE projects.bureau_id = 1 ORDER BY projects.id LIMIT 50 OFFSET 50",
                "SELECT projects.id FROM projects WHERE projects.round_id = 1 AND projects.status = 'active' \
                 ORDER BY projects.id LIMIT 50 OFFSET 50",
                "SELECT COUNT(*), SUM(projects.fig_unique_people) FROM projects \
                 WHERE projects.bureau_id = 1",
                "SELECT SUM(project_groups.unique_people) FROM project_groups JOIN projects ON projects.id = project_groups.project_id \
                 WHERE projects.round_id = 1 AND project_groups.grp = 'elderly'",
                // The screening list, the API's lists of rounds, proposals and evaluations.
                "SELECT id FROM proposals WHERE round_id = 1 AND status <> 'draft' \
                 ORDER BY submitted_at, id LIMIT 50 OFFSET 50",
                "SELECT id FROM rounds WHERE bureau_id = 1 ORDER BY id DESC LIMIT 50",
                "SELECT id FROM proposals WHERE org_id = 1 ORDER BY id DESC LIMIT 50",
                "SELECT id FROM evaluations WHERE evaluator_id = 1 ORDER BY id DESC LIMIT 50",
                "SELECT seq FROM audit_log WHERE entity_type = 'organization' AND entity_id = 1 \
                 ORDER BY seq DESC LIMIT 50",
                // The latest filed report of the shown projects.
                "SELECT r.id FROM reports r WHERE r.project_id IN (1, 2) AND r.status IN ('submitted', 'accepted') \
                 AND NOT EXISTS (SELECT 1 FROM reports l WHERE l.project_id = r.project_id \
                 AND l.status IN ('submitted', 'accepted') AND (l.period_end > r.period_end \
                 OR (l.period_end = r.period_end AND l.id > r.id)))",
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
        // The ranking reads a round's scores from the index alone, never the reviews' rows.
        if q == RANKING_REVIEWS {
            assert!(plan.contains("Index Only Scan"), "{q}\n{plan}");
        }
    }
}

/// What the ranking reads of a round's submitted reviews (`db::reviews::submitted`).
const RANKING_REVIEWS: &str = "SELECT id, proposal_id, reviewer_id, score_list FROM reviews \
     WHERE round_id = 1 AND status = 'submitted'";

fn ranks(v: &Value) -> Vec<i64> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rank"].as_i64().unwrap())
        .collect()
}

fn lines(v: &Value) -> Vec<String> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_str().unwrap().to_string())
        .collect()
}

/// The ranking is computed over the whole round but shows one page: by default the page where
/// the funding line falls, with the rows on both sides of it; the totals are the round's.
async fn the_ranking_shows_the_page_of_the_funding_line(b: Backend) {
    let app = spawn(b).await;
    // Five 5万 proposals, a budget for three: the line falls after rank 3.
    let r = crate::award::ranked_round(&app, 15_000_000, &[90, 85, 80, 75, 70], 1).await;
    let base = format!("/api/v1/rounds/{}/ranking", r.round);

    let (s, total, _, all) = get_paged(&app, &base, &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 5), "{all}");
    assert_eq!(
        ranks(&all),
        vec![1, 2, 3, 4, 5],
        "all on the default page of 50"
    );
    assert_eq!(
        (all["per_page"].as_i64(), all["page"].as_i64()),
        (Some(50), Some(1))
    );

    // Two a page: the line is on page 2 (ranks 3 and 4), the default.
    let (s, total, link, line) = get_paged(&app, &format!("{base}?per_page=2"), &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 5));
    assert_eq!(ranks(&line), vec![3, 4], "{line}");
    assert_eq!(lines(&line), vec!["funded", "waitlisted"]);
    assert_eq!(
        (line["page"].as_i64(), line["line_page"].as_i64()),
        (Some(2), Some(2))
    );
    assert!(
        link.contains("page=1>; rel=\"prev\"") && link.contains("page=3>; rel=\"next\""),
        "{link}"
    );
    // Totals over the whole round on every page.
    for v in [&all, &line] {
        assert_eq!(
            (v["used_fen"].as_i64(), v["total_rows"].as_i64()),
            (Some(15_000_000), Some(5)),
            "{v}"
        );
    }
    let (_, _, _, first) = get_paged(&app, &format!("{base}?per_page=2&page=1"), &r.officer).await;
    assert_eq!(ranks(&first), vec![1, 2]);
    assert_eq!(first["line_page"].as_i64(), Some(2));
    let (_, _, _, last) = get_paged(&app, &format!("{base}?per_page=2&page=3"), &r.officer).await;
    assert_eq!(ranks(&last), vec![5]);
    // Three a page: the line ends page 1, so the first row below it is shown with it.
    let (_, _, _, edge) = get_paged(&app, &format!("{base}?per_page=3"), &r.officer).await;
    assert_eq!(ranks(&edge), vec![1, 2, 3, 4], "{edge}");
    assert_eq!(lines(&edge)[2..], ["funded", "waitlisted"]);
    let (s, _, _, v) = get_paged(&app, &format!("{base}?page=two"), &r.officer).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "page"), "{v}");

    // The page: the line's page, the pager, the whole round's budget; the export has all.
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(&app, &format!("/rounds/{}/decision?per_page=2", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    let rows = table_rows(&html, "ranking");
    assert_eq!(
        rows.iter().map(|c| c[0].clone()).collect::<Vec<_>>(),
        ["3", "4"],
        "{html}"
    );
    assert!(html.contains(" 5 · 2/3"), "{html}");
    assert!(html.contains("¥150,000.00"), "the used budget");
    assert!(
        !html.contains("id=\"line-page\""),
        "already on the line's page"
    );
    let (_, html) = officer
        .get_text(
            &app,
            &format!("/rounds/{}/decision?per_page=2&page=3", r.round),
        )
        .await;
    assert_eq!(table_rows(&html, "ranking").len(), 1);
    assert!(html.contains("id=\"line-page\""), "a link back to the line");
    let xlsx = app
        .client
        .get(app.url(&format!(
            "/api/v1/rounds/{}/ranking.xlsx?per_page=1",
            r.round
        )))
        .bearer_auth(&r.officer)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let strings = crate::helpers::xlsx_strings(&xlsx);
    assert!(
        (0..5).all(|i| strings.contains(&format!("社区服务项目{i}"))),
        "the export has every row: {strings}"
    );
}
dual!(the_ranking_shows_the_page_of_the_funding_line);

/// The assignment board and the reviewer's queue page in SQL; their progress counts every
/// review.
async fn the_review_board_and_the_queue_page(b: Backend) {
    let app = spawn(b).await;
    let r = crate::award::ranked_round(&app, 15_000_000, &[90, 85, 80], 2).await;
    let base = format!("/api/v1/rounds/{}/assignments", r.round);
    let (s, total, _, all) = get_paged(&app, &base, &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 3), "{all}");
    let all: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["proposal_id"].as_i64().unwrap())
        .collect();
    assert_eq!(all, r.pids, "in id order, all on the default page");
    let (_, total, link, second) =
        get_paged(&app, &format!("{base}?per_page=2&page=2"), &r.officer).await;
    assert_eq!(total, 3);
    assert_eq!(second[0]["proposal_id"].as_i64(), Some(r.pids[2]));
    assert_eq!(second[0]["reviewers"].as_array().map(Vec::len), Some(2));
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");

    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(
            &app,
            &format!("/rounds/{}/review?per_page=2&page=2", r.round),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "board").len(), 1, "{html}");
    assert!(html.contains(" 3 · 2/2"), "{html}");
    assert!(
        html.contains("已完成评审 6/6"),
        "every review of the round: {html}"
    );

    // The queue: three assignments, newest first.
    let (s, total, _, queue) = get_paged(&app, "/api/v1/reviews?per_page=2", &r.reviewers[0]).await;
    assert_eq!((s, total), (StatusCode::OK, 3), "{queue}");
    let ids: Vec<i64> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["review_id"].as_i64().unwrap())
        .collect();
    assert!(ids.len() == 2 && ids[0] > ids[1], "{queue}");
    let (_, _, _, rest) =
        get_paged(&app, "/api/v1/reviews?per_page=2&page=2", &r.reviewers[0]).await;
    assert_eq!(rest.as_array().map(Vec::len), Some(1));
    let reviewer = app.browser();
    reviewer
        .login(&app, "expert0@univ.edu.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = reviewer.get_text(&app, "/reviews?per_page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "queue").len(), 2, "{html}");
    assert!(
        html.contains("已完成评审 3/3") && html.contains(" 3 · 1/2"),
        "{html}"
    );
}
dual!(the_review_board_and_the_queue_page);

/// The public notice pages its list, each page cached for anonymous readers; officers see
/// every line, also paged.
async fn the_notice_pages_its_list(b: Backend) {
    let app = spawn(b).await;
    let r = crate::award::ranked_round(&app, 15_000_000, &[90, 85, 80, 75, 70], 1).await;
    crate::award::start_notice(&app, &r).await;
    let api = format!("/api/v1/rounds/{}/notice", r.round);
    let anon = |q: &'static str| {
        let url = app.url(&format!("{api}?{q}"));
        let client = app.client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            let h = |n: &str| {
                res.headers()
                    .get(n)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let (total, cache) = (h("x-total-count"), h("x-cache"));
            (
                res.status(),
                total,
                cache,
                res.json::<Value>().await.unwrap(),
            )
        }
    };
    let (s, total, _, v) = anon("").await;
    assert_eq!((s, total.as_str()), (StatusCode::OK, "3"), "{v}");
    assert_eq!(v["list"].as_array().map(Vec::len), Some(3), "funded only");
    assert_eq!(v["used_fen"].as_i64(), Some(15_000_000));
    let (_, total, _, second) = anon("per_page=2&page=2").await;
    assert_eq!(total, "3");
    assert_eq!(
        second["list"][0]["proposal_id"],
        v["list"][2]["proposal_id"]
    );
    // Staff see every line.
    let (s, total, _, staff) = get_paged(&app, &format!("{api}?per_page=2"), &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 5), "{staff}");
    assert_eq!(staff["list"].as_array().map(Vec::len), Some(2));

    // The public page: one page at a time, each page its own cache entry.
    let path = format!("/notices/{}", r.round);
    let public = app.browser();
    let read = |q: &'static str| {
        let url = app.url(&format!("{path}?{q}"));
        let client = public.client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            let cache = res
                .headers()
                .get("x-cache")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (res.status(), cache, res.text().await.unwrap())
        }
    };
    let (s, c1, p1) = read("").await;
    assert_eq!((s, c1.as_str()), (StatusCode::OK, "miss"));
    assert_eq!(table_rows(&p1, "notice-list").len(), 3);
    assert_eq!(read("").await.1, "hit");
    let (_, c2, p2) = read("page=2").await;
    assert_eq!(c2, "miss", "page 2 is its own entry");
    assert_eq!(table_rows(&p2, "notice-list").len(), 0, "{p2}");
    assert_eq!(read("page=2").await.1, "hit");
    let (s, c, small) = read("per_page=2&page=2").await;
    assert_eq!(
        (s, c.as_str()),
        (StatusCode::OK, ""),
        "another size is not cached"
    );
    assert_eq!(table_rows(&small, "notice-list").len(), 1, "{small}");
    assert!(small.contains(" 3 · 2/2"), "{small}");
    let (s, _, far) = read("page=99999999999").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "a page past the end is bounded and empty"
    );
    assert_eq!(table_rows(&far, "notice-list").len(), 0);
    let (s, _, _) = read("page=x").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(
            &app,
            &format!("/rounds/{}/notice?per_page=2&page=3", r.round),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "award-list").len(), 1, "{html}");
    assert!(
        html.contains(" 5 · 3/3") && html.contains("¥150,000.00"),
        "{html}"
    );
}
dual!(the_notice_pages_its_list);

/// The dashboards' project table pages, filters and sorts in SQL while the totals stay the
/// round's (and the bureau's): the same as adding up every project's line.
async fn the_dashboard_table_pages_and_the_totals_stay_whole(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    crate::execution::file_first_reports(&app, &a).await;
    for base in [
        format!("/api/v1/rounds/{}/dashboard", a.round),
        "/api/v1/dashboard/projects".to_string(),
    ] {
        let (s, total, _, whole) = get_paged(&app, &base, &a.officer).await;
        assert_eq!((s, total), (StatusCode::OK, 2), "{whole}");
        let lines = whole["lines"].as_array().unwrap();
        let sum = |f: &dyn Fn(&Value) -> i64| lines.iter().map(f).sum::<i64>();
        let t = &whole["totals"];
        assert_eq!(t["projects"].as_i64(), Some(2));
        assert_eq!(
            t["grant_fen"].as_i64(),
            Some(sum(&|l| l["project"]["grant_fen"].as_i64().unwrap()))
        );
        assert_eq!(
            t["unique_people"].as_i64(),
            Some(sum(&|l| l["figures"]["unique_people"].as_i64().unwrap()))
        );
        assert_eq!(
            t["spent_grant_fen"].as_i64(),
            Some(sum(&|l| l["figures"]["spent_grant"].as_i64().unwrap()))
        );
        assert!(t["unique_people"].as_i64().unwrap() > 0, "{t}");

        let (_, total, link, one) =
            get_paged(&app, &format!("{base}?per_page=1&page=2"), &a.officer).await;
        assert_eq!(total, 2);
        assert_eq!(one["lines"].as_array().map(Vec::len), Some(1));
        assert_eq!(one["lines"][0]["project"]["id"], lines[1]["project"]["id"]);
        assert_eq!(
            one["totals"], whole["totals"],
            "the totals of every project"
        );
        assert_eq!(one["groups"], whole["groups"]);
        assert!(link.contains("page=1>; rel=\"prev\""), "{link}");

        let (_, total, _, none) =
            get_paged(&app, &format!("{base}?status=completed"), &a.officer).await;
        assert_eq!(total, 0);
        assert_eq!(none["lines"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            none["totals"], whole["totals"],
            "the filter is the table's only"
        );

        let (_, _, _, by_grant) =
            get_paged(&app, &format!("{base}?sort=grant_desc"), &a.officer).await;
        let grants: Vec<i64> = by_grant["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["project"]["grant_fen"].as_i64().unwrap())
            .collect();
        assert!(grants.windows(2).all(|w| w[0] >= w[1]), "{grants:?}");
        let (s, _, _, bad) = get_paged(
            &app,
            &format!("{base}?sort=password&status=gone"),
            &a.officer,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            has_error(&bad, "sort") && has_error(&bad, "status"),
            "{bad}"
        );
    }
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(&app, "/dashboard/projects?per_page=1&status=active")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "ledger").len(), 1, "{html}");
    assert!(html.contains(" 2 · 1/2"), "{html}");
    assert!(
        html.replace("&#38;", "&")
            .contains("href=\"?per_page=1&status=active&page=2\""),
        "the pager keeps the filter: {html}"
    );

    // The public results page: one page of projects, the totals over all of them.
    let public = app.browser();
    let (s, html) = public
        .get_text(&app, &format!("/results/{}?per_page=1&page=2", a.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "results").len(), 1, "{html}");
    assert!(
        html.contains("id=\"projects-total\">2<")
            && html.contains("¥100,000.00")
            && html.contains(" 2 · 2/2"),
        "{html}"
    );
    let (_, first) = public
        .get_text(&app, &format!("/results/{}", a.round))
        .await;
    assert_eq!(table_rows(&first, "results").len(), 2);
}
dual!(the_dashboard_table_pages_and_the_totals_stay_whole);

/// Every API list takes `?page&per_page` and answers one page with `X-Total-Count` and `Link`
/// (lists whose body is a page object keep it, with the same headers).
async fn every_api_list_pages_with_its_headers(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    crate::execution::file_first_reports(&app, &a).await;
    let admin = app.admin_token().await;
    let (round, p0, ngo) = (a.round, a.projects[0], a.members[0].clone());
    let (_, mine) = app.get("/api/v1/proposals", Some(&ngo)).await;
    let org = mine[0]["org_id"].as_i64().unwrap();
    // (path, token, total at least, rows in the body)
    type Rows = fn(&Value) -> usize;
    let lists: Vec<(String, &str, i64, Rows)> = vec![
        ("/api/v1/rounds".into(), &a.officer, 1, |v| {
            v.as_array().unwrap().len()
        }),
        ("/api/v1/proposals".into(), &ngo, 1, |v| {
            v.as_array().unwrap().len()
        }),
        (
            format!("/api/v1/rounds/{round}/submissions"),
            &a.officer,
            2,
            |v| v["items"].as_array().unwrap().len(),
        ),
        ("/api/v1/orgs".into(), &a.officer, 2, |v| {
            v["items"].as_array().unwrap().len()
        }),
        ("/api/v1/users".into(), &admin, 3, |v| {
            v["items"].as_array().unwrap().len()
        }),
        ("/api/v1/bureaus".into(), &admin, 1, |v| {
            v.as_array().unwrap().len()
        }),
        ("/api/v1/me/sessions".into(), &ngo, 1, |v| {
            v.as_array().unwrap().len()
        }),
        (format!("/api/v1/orgs/{org}/history"), &a.officer, 2, |v| {
            v.as_array().unwrap().len()
        }),
        (format!("/api/v1/projects/{p0}/reports"), &ngo, 1, |v| {
            v.as_array().unwrap().len()
        }),
        (
            format!("/api/v1/projects/{p0}/evaluations"),
            &a.officer,
            0,
            |v| v.as_array().unwrap().len(),
        ),
        (
            format!("/api/v1/rounds/{round}/objections"),
            &a.officer,
            0,
            |v| v.as_array().unwrap().len(),
        ),
        ("/api/v1/calls".into(), "", 1, |v| {
            v.as_array().unwrap().len()
        }),
    ];
    for (path, token, at_least, rows) in lists {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, total, link, v) = get_paged(&app, &format!("{path}{sep}per_page=1"), token).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        assert!(
            total >= at_least,
            "{path}: {total} rows, at least {at_least}"
        );
        assert_eq!(
            rows(&v),
            usize::from(total > 0),
            "{path}: one row a page: {v}"
        );
        assert!(link.contains("rel=\"last\""), "{path}: {link}");
        assert_eq!(
            link.contains("rel=\"next\""),
            total > 1,
            "{path}: a next page when there are more rows: {link}"
        );
        let (s, _, _, v) = get_paged(&app, &format!("{path}{sep}page=x"), token).await;
        assert!(s.is_client_error(), "{path}: a bad page is refused: {v}");
        let (s, total2, _, v) =
            get_paged(&app, &format!("{path}{sep}per_page=1&page=99999"), token).await;
        assert_eq!((s, total2), (StatusCode::OK, total), "{path}: {v}");
        assert_eq!(rows(&v), 0, "{path}: past the end is empty");
    }
}
dual!(every_api_list_pages_with_its_headers);

/// The officer's review board filters (`q`, `category`, `open`), sorts and exports the
/// filtered rows, on the page and in the API; an unknown order is refused naming its field.
async fn the_review_board_filters_sorts_and_exports(b: Backend) {
    use yichuang::domain::account::Role;
    let app = spawn(b).await;
    let r = crate::award::ranked_round_ruled(
        &app,
        15_000_000,
        &[90, 85, 80],
        2,
        serde_json::json!({"reviewers_per_proposal": 3}),
        |_| {},
    )
    .await;
    // A third reviewer fills the first proposal's last slot.
    let third = app.staff(Role::Reviewer, "expert9@univ.edu.cn", None).await;
    let (_, me) = app.get("/api/v1/me", Some(&third)).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/reviewers", r.pids[0]),
            Some(&r.officer),
            serde_json::json!({"reviewer_id": me["id"]}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let base = format!("/api/v1/rounds/{}/assignments", r.round);
    let pids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["proposal_id"].as_i64().unwrap())
            .collect()
    };

    let (s, total, _, open) = get_paged(&app, &format!("{base}?open=1"), &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, 2), "{open}");
    assert_eq!(pids(&open), r.pids[1..].to_vec());
    let (_, total, _, one) =
        get_paged(&app, &format!("{base}?q=%E9%A1%B9%E7%9B%AE2"), &r.officer).await;
    assert_eq!((total, pids(&one)), (1, vec![r.pids[2]]), "q=项目2");
    let (_, total, _, desc) = get_paged(&app, &format!("{base}?sort=title"), &r.officer).await;
    assert_eq!((total, pids(&desc)), (3, r.pids.clone()));
    let (_, total, _, none) =
        get_paged(&app, &format!("{base}?category=%E6%97%A0"), &r.officer).await;
    assert_eq!((total, pids(&none)), (0, vec![]));
    let (s, _, _, bad) = get_paged(&app, &format!("{base}?sort=score"), &r.officer).await;
    assert!(s.is_client_error() && has_error(&bad, "sort"), "{bad}");

    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let page = format!("/rounds/{}/review?open=1&sort=title", r.round);
    let (s, html) = officer.get_text(&app, &page).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(table_rows(&html, "board").len(), 2, "{html}");
    assert!(
        html.contains(r#"<span id="board-total">共 2</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"name="open" value="1" checked"#), "{html}");
    let export = format!("/rounds/{}/review.csv?open=1&#38;sort=title", r.round);
    assert!(
        html.contains(&export),
        "the export keeps the filter: {html}"
    );

    let (s, csv) = officer
        .get_text(
            &app,
            &format!("/rounds/{}/review.csv?open=1&sort=title", r.round),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and the two filtered rows: {csv}");
    assert!(
        lines[0].starts_with("申报编号") || lines[0].contains("项目名称"),
        "{csv}"
    );
    assert!(
        lines[1].contains("社区服务项目1") && lines[2].contains("社区服务项目2"),
        "{csv}"
    );
    assert!(lines[1].ends_with(",1"), "one open slot: {csv}");
}
dual!(the_review_board_filters_sorts_and_exports);

/// `/projects` filters by status, sorts, shows the total and exports the filtered rows.
async fn the_projects_page_filters_sorts_and_exports(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (_, all) = app
        .get(
            &format!("/api/v1/projects?round_id={}", a.round),
            Some(&a.officer),
        )
        .await;
    let mut by_org: Vec<(String, String)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["org_name"].as_str().unwrap().to_string(),
                p["agreement_no"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_org.sort();
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;

    let (s, html) = officer
        .get_text(&app, "/projects?status=active&sort=org")
        .await;
    assert_eq!(s, StatusCode::OK);
    let rows = table_rows(&html, "projects");
    assert_eq!(
        rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        by_org.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
        "by organization: {html}"
    );
    assert!(
        html.contains(r#"<span id="projects-total">共 2</span>"#),
        "{html}"
    );
    assert!(
        html.contains("/projects.csv?status=active&#38;sort=org"),
        "{html}"
    );

    let (s, html) = officer.get_text(&app, "/projects?status=terminated").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(r#"<span id="projects-total">共 0</span>"#),
        "{html}"
    );
    let (s, _) = officer.get_text(&app, "/projects?sort=nonsense").await;
    assert!(s.is_client_error(), "{s}");

    let (s, csv) = officer
        .get_text(&app, "/projects.csv?status=active&sort=org")
        .await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and both projects: {csv}");
    assert!(
        lines[1].starts_with(&by_org[0].1) && lines[2].starts_with(&by_org[1].1),
        "{csv}"
    );
    assert!(lines[1].contains(",50000,"), "the grant in yuan: {csv}");
    let (_, csv) = officer
        .get_text(&app, "/projects.csv?status=completed")
        .await;
    assert_eq!(
        csv.trim_start_matches('\u{feff}').lines().count(),
        1,
        "{csv}"
    );
}
dual!(the_projects_page_filters_sorts_and_exports);

/// The submissions' exports carry the list's filter: the rows the officer sees, not the round.
async fn the_submission_exports_keep_the_filter(b: Backend) {
    let app = spawn(b).await;
    let (officer, round, _) = crate::screening::round_with_submissions(&app, 2).await;
    let csv = |q: &'static str| {
        let (app, officer) = (&app, officer.clone());
        async move {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/rounds/{round}/submissions.csv{q}")))
                .bearer_auth(&officer)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    let all = csv("").await;
    assert_eq!(all.lines().count(), 3, "{all}");
    // q=项目1
    let one = csv("?q=%E9%A1%B9%E7%9B%AE1").await;
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 2, "{one}");
    assert!(lines[1].contains("社区项目1"), "{one}");
    let none = csv("?status=eligible").await;
    assert_eq!(none.lines().count(), 1, "nothing screened yet: {none}");

    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = web
        .get_text(
            &app,
            &format!("/rounds/{round}/submissions?q=%E9%A1%B9%E7%9B%AE1"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "/rounds/{round}/submissions.csv?q=%E9%A1%B9%E7%9B%AE1"
        )),
        "{html}"
    );
}
dual!(the_submission_exports_keep_the_filter);
