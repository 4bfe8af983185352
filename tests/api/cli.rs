//! The command line: migrate, user add, audit verify, backup.

use std::process::{Command, Output};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;
use yichuang::db::audit::{self, AuditKey, AuditRow, Verification};
use yichuang::db::schema::{audit_head, audit_log};
use yichuang::db::DbConn;

use crate::dual;
use crate::helpers::{spawn, Backend, TestApp};

pub fn yichuang(app: &TestApp, args: &[&str]) -> Output {
    // `YICHUANG_BIN` runs a copy of the binary (the build directory may be shared).
    let bin =
        std::env::var("YICHUANG_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_yichuang").into());
    Command::new(bin)
        .args(args)
        .env("YICHUANG_DATA_DIR", &app.settings.data_dir)
        .env("YICHUANG_DATABASE_URL", app.settings.database_url.expose())
        .env("YICHUANG_CONFIG", "/nonexistent/yichuang.toml")
        .env("YICHUANG_LOG", "warn")
        .output()
        .unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

async fn the_command_line_manages_accounts_audit_and_backups(b: Backend) {
    let app = spawn(b).await;
    let o = yichuang(&app, &["migrate"]);
    assert!(o.status.success(), "{}", stdout(&o));

    let o = yichuang(
        &app,
        &[
            "user",
            "add",
            "--role",
            "officer",
            "--email",
            "cli@gusu.gov.cn",
            "--name",
            "命令行",
            "--bureau",
            "姑苏区民政局",
        ],
    );
    assert!(o.status.success(), "{}", stdout(&o));
    let out = stdout(&o);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("password printed")
        .trim()
        .to_string();
    let t = app.token("cli@gusu.gov.cn", &password).await;
    let (_, v) = app.get("/api/v1/me", Some(&t)).await;
    assert_eq!(v["role"], "officer");
    assert!(v["bureau_id"].is_i64());

    let o = yichuang(
        &app,
        &[
            "user",
            "add",
            "--role",
            "officer",
            "--email",
            "nobureau@gusu.gov.cn",
        ],
    );
    assert!(!o.status.success());
    assert!(stdout(&o).contains("--bureau"));
    let o = yichuang(
        &app,
        &[
            "user",
            "add",
            "--role",
            "officer",
            "--email",
            "cli@gusu.gov.cn",
            "--bureau",
            "姑苏区民政局",
        ],
    );
    assert!(!o.status.success(), "duplicate email refused");

    let o = yichuang(&app, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("audit chain intact"));

    if b == Backend::Sqlite {
        let target = app.settings.data_dir.join("backup.db");
        let o = yichuang(&app, &["backup", "--to", target.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stdout(&o));
        let copy = yichuang::db::build_pool(target.to_str().unwrap(), 1).unwrap();
        let n = yichuang::db::users::count(&mut copy.get().unwrap()).unwrap();
        assert_eq!(n, 2, "the admin and the officer are in the copy");
        let o = yichuang(&app, &["backup", "--to", target.to_str().unwrap()]);
        assert!(!o.status.success(), "an existing file is never overwritten");
    }

    app.db(|c| {
        diesel::sql_query("UPDATE audit_log SET action = 'user.deleted' WHERE seq = 1")
            .execute(c)
            .unwrap();
    })
    .await;
    let o = yichuang(&app, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("BROKEN at entry 1"), "{}", stdout(&o));
}
dual!(the_command_line_manages_accounts_audit_and_backups);

fn key(app: &TestApp) -> AuditKey {
    AuditKey::new(app.settings.audit_key.expose())
}

async fn verify(app: &TestApp) -> Verification {
    let k = key(app);
    app.db(move |c| audit::verify(c, &k).unwrap()).await
}

/// Some history: the admin's first sign-in, an officer, a bureau.
async fn some_entries(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    app.officer().await;
    let (s, v) = app
        .post(
            "/api/v1/bureaus",
            Some(&admin),
            json!({"name": "吴中区民政局"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    admin
}

/// What someone with write access to the database but without the key can do: recompute the
/// whole chain with plain SHA-256 (as `scheme`, keep the keyed label or claim the old one).
fn rewrite_unkeyed(c: &mut DbConn, scheme: Option<&str>) {
    let rows: Vec<AuditRow> = audit_log::table
        .order(audit_log::seq.asc())
        .select(AuditRow::as_select())
        .load(c)
        .unwrap();
    let mut prev = String::new();
    for r in rows {
        let mut f = r.fields();
        f.prev = &prev;
        let hash = f.legacy_hash();
        diesel::update(audit_log::table.filter(audit_log::seq.eq(r.seq)))
            .set((
                audit_log::prev_hash.eq(&prev),
                audit_log::hash.eq(&hash),
                audit_log::scheme.eq(scheme.unwrap_or(&r.scheme)),
            ))
            .execute(c)
            .unwrap();
        prev = hash;
    }
    diesel::update(audit_head::table)
        .set(audit_head::last_hash.eq(&prev))
        .execute(c)
        .unwrap();
}

type Snapshot = (Vec<(i64, String, String, String)>, String);

fn snapshot(c: &mut DbConn) -> Snapshot {
    let rows = audit_log::table
        .order(audit_log::seq.asc())
        .select((
            audit_log::seq,
            audit_log::prev_hash,
            audit_log::hash,
            audit_log::scheme,
        ))
        .load(c)
        .unwrap();
    let head = audit_head::table
        .select(audit_head::last_hash)
        .first(c)
        .unwrap();
    (rows, head)
}

fn restore(c: &mut DbConn, (rows, head): Snapshot) {
    for (seq, prev, hash, scheme) in rows {
        diesel::update(audit_log::table.filter(audit_log::seq.eq(seq)))
            .set((
                audit_log::prev_hash.eq(prev),
                audit_log::hash.eq(hash),
                audit_log::scheme.eq(scheme),
            ))
            .execute(c)
            .unwrap();
    }
    diesel::update(audit_head::table)
        .set(audit_head::last_hash.eq(head))
        .execute(c)
        .unwrap();
}

async fn audit_verify_needs_the_key_and_counts_what_it_verified(b: Backend) {
    let app = spawn(b).await;
    let admin = some_entries(&app).await;
    let intact = verify(&app).await;
    assert_eq!(intact.first_broken, None);
    assert_eq!(intact.legacy_entries, 0);
    let n = intact.entries;
    assert!(n >= 5, "{intact:?}");
    assert!(
        app.settings.data_dir.join("audit_key").exists(),
        "generated once"
    );
    let o = yichuang(&app, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!("audit chain intact: {n} entries"))
            && stdout(&o).contains(&intact.head),
        "{}",
        stdout(&o)
    );

    // Another key verifies nothing, and an instance with it refuses to write.
    let other = AuditKey::new("another-audit-key-another-audit-key");
    let v = app.db(move |c| audit::verify(c, &other).unwrap()).await;
    assert_eq!(v.entries, 0);
    assert_eq!(v.first_broken.unwrap().0, 1);
    let o = Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args(["migrate"])
        .env("YICHUANG_DATA_DIR", &app.settings.data_dir)
        .env("YICHUANG_DATABASE_URL", app.settings.database_url.expose())
        .env("YICHUANG_AUDIT_KEY", "another-audit-key-another-audit-key")
        .env("YICHUANG_CONFIG", "/nonexistent/yichuang.toml")
        .env("YICHUANG_LOG", "warn")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stdout(&o).contains("YICHUANG_AUDIT_KEY"), "{}", stdout(&o));

    // An altered entry is found, and only the entries before it count as verified.
    let saved = app.db(snapshot).await;
    let label = app
        .db(|c| {
            let label: String = audit_log::table
                .filter(audit_log::seq.eq(3))
                .select(audit_log::actor_label)
                .first(c)
                .unwrap();
            diesel::update(audit_log::table.filter(audit_log::seq.eq(3)))
                .set(audit_log::actor_label.eq("someone@else.org"))
                .execute(c)
                .unwrap();
            label
        })
        .await;
    let v = verify(&app).await;
    assert_eq!((v.entries, v.first_broken.unwrap().0), (2, 3));
    app.db(move |c| {
        diesel::update(audit_log::table.filter(audit_log::seq.eq(3)))
            .set(audit_log::actor_label.eq(label))
            .execute(c)
            .unwrap();
    })
    .await;
    assert_eq!(verify(&app).await, intact);

    // A chain recomputed without the key: as keyed entries, or claiming the unkeyed scheme.
    app.db(|c| rewrite_unkeyed(c, None)).await;
    let v = verify(&app).await;
    assert_eq!((v.entries, v.first_broken.unwrap().0), (0, 1));
    app.db(|c| rewrite_unkeyed(c, Some(audit::LEGACY))).await;
    let v = verify(&app).await;
    let (seq, why) = v.first_broken.unwrap();
    assert_eq!((v.entries, seq), (0, 1));
    assert!(why.contains("no keyed entry"), "{why}");
    // The next write does not vouch for the rewritten log.
    let (s, _) = app
        .post(
            "/api/v1/bureaus",
            Some(&admin),
            json!({"name": "相城区民政局"}),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(verify(&app).await.first_broken.is_some());
    app.db(move |c| restore(c, saved)).await;
    assert_eq!(verify(&app).await, intact);

    // A deleted entry: the ones before it are verified, not one more.
    app.db(|c| {
        diesel::sql_query("DELETE FROM audit_log WHERE seq = 4")
            .execute(c)
            .unwrap();
    })
    .await;
    let v = verify(&app).await;
    assert_eq!(v.entries, 3);
    assert_eq!(v.first_broken.as_ref().unwrap().0, 4);
    let o = yichuang(&app, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "BROKEN at entry 4: entry 4 is missing (next is 5) (3 entries verified before it)"
        ),
        "{}",
        stdout(&o)
    );
}
dual!(audit_verify_needs_the_key_and_counts_what_it_verified);

/// A database from before the key: its entries are sealed once by a keyed entry, which then
/// protects them.
async fn unkeyed_entries_are_sealed_once_and_then_protected(b: Backend) {
    let app = spawn(b).await;
    let admin = some_entries(&app).await;
    // Make it look like it did before the upgrade: plain SHA-256, no chain id.
    app.db(|c| {
        rewrite_unkeyed(c, Some(audit::LEGACY));
        diesel::update(audit_head::table)
            .set(audit_head::chain_id.eq(""))
            .execute(c)
            .unwrap();
    })
    .await;
    let n = verify(&app).await;
    assert!(
        n.first_broken.is_some(),
        "nothing keyed vouches for them yet"
    );
    let legacy = app
        .db(|c| audit_log::table.count().get_result::<i64>(c).unwrap())
        .await;

    let k = key(&app);
    let opened = app.db(move |c| audit::open_chain(c, &k).unwrap()).await;
    assert_eq!(
        opened,
        audit::Opened::Sealed {
            legacy_entries: legacy
        }
    );
    let k = key(&app);
    let again = app.db(move |c| audit::open_chain(c, &k).unwrap()).await;
    assert_eq!(again, audit::Opened::Keyed, "sealed once");
    let v = verify(&app).await;
    assert_eq!(v.first_broken, None);
    assert_eq!((v.entries, v.legacy_entries), (legacy + 1, legacy));
    let seal = app
        .db(move |c| {
            audit_log::table
                .filter(audit_log::seq.eq(legacy + 1))
                .select(AuditRow::as_select())
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        (seal.action.as_str(), seal.scheme.as_str()),
        ("audit.keyed", audit::KEYED)
    );
    assert!(seal
        .after_json
        .unwrap()
        .contains(&format!("\"legacy_entries\":{legacy}")));

    // Writing goes on, keyed.
    let (s, v) = app
        .post(
            "/api/v1/bureaus",
            Some(&admin),
            json!({"name": "相城区民政局"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let v = verify(&app).await;
    assert_eq!((v.entries, v.first_broken), (legacy + 2, None));
    let o = yichuang(&app, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!("({legacy} unkeyed from before the key, sealed)")),
        "{}",
        stdout(&o)
    );

    // An unkeyed entry changed and its unkeyed chain recomputed: the seal no longer links.
    app.db(|c| {
        diesel::sql_query("UPDATE audit_log SET action = 'user.deleted' WHERE seq = 2")
            .execute(c)
            .unwrap();
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::scheme.eq(audit::LEGACY))
            .order(audit_log::seq.asc())
            .select(AuditRow::as_select())
            .load(c)
            .unwrap();
        let mut prev = String::new();
        for r in rows {
            let mut f = r.fields();
            f.prev = &prev;
            let hash = f.legacy_hash();
            diesel::update(audit_log::table.filter(audit_log::seq.eq(r.seq)))
                .set((audit_log::prev_hash.eq(&prev), audit_log::hash.eq(&hash)))
                .execute(c)
                .unwrap();
            prev = hash;
        }
    })
    .await;
    let v = verify(&app).await;
    assert_eq!((v.entries, v.first_broken.unwrap().0), (legacy, legacy + 1));
}
dual!(unkeyed_entries_are_sealed_once_and_then_protected);

/// `yichuang demo --scale` (the sizes' little sibling) adds its rows on top of the district
/// demo through the product's own tables, and queues no email for them.
async fn the_demo_grows_to_a_custom_size(b: Backend) {
    use yichuang::db::schema::{
        organizations, outbox, projects, proposals, reports, reviews, rounds,
    };
    let app = spawn(b).await;
    let o = yichuang(&app, &["demo", "--seed-only", "--scale", "12,2,20,3,4,9"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let counts = app
        .db(|c| {
            let added_rounds: Vec<(i64, String)> = rounds::table
                .filter(rounds::title.like("%全市公益创投大赛%"))
                .order(rounds::id)
                .select((rounds::id, rounds::status))
                .load(c)
                .unwrap();
            let ids: Vec<i64> = added_rounds.iter().map(|r| r.0).collect();
            let orgs: i64 = organizations::table
                .filter(organizations::contact_email.like("contact-%"))
                .filter(organizations::status.eq("verified"))
                .count()
                .get_result(c)
                .unwrap();
            let eligible: i64 = proposals::table
                .filter(proposals::round_id.eq_any(&ids))
                .filter(proposals::status.eq("eligible"))
                .count()
                .get_result(c)
                .unwrap();
            let submitted_reviews: i64 = reviews::table
                .filter(reviews::round_id.eq_any(&ids))
                .filter(reviews::status.eq("submitted"))
                .count()
                .get_result(c)
                .unwrap();
            let project_ids: Vec<i64> = projects::table
                .filter(projects::round_id.eq_any(&ids))
                .select(projects::id)
                .load(c)
                .unwrap();
            let report_states: Vec<String> = reports::table
                .filter(reports::project_id.eq_any(&project_ids))
                .order(reports::status)
                .select(reports::status)
                .load(c)
                .unwrap();
            let mails: i64 = outbox::table
                .filter(outbox::to_email.like("ngo-%"))
                .count()
                .get_result(c)
                .unwrap();
            (
                added_rounds.into_iter().map(|r| r.1).collect::<Vec<_>>(),
                orgs,
                eligible,
                submitted_reviews,
                project_ids.len(),
                report_states,
                mails,
            )
        })
        .await;
    let (states, orgs, eligible, submitted_reviews, projects_n, report_states, mails) = counts;
    assert_eq!(states, ["awarded", "deciding"]);
    assert_eq!(orgs, 12);
    assert_eq!(eligible, 20);
    assert_eq!(submitted_reviews, 20 * 3);
    assert_eq!(projects_n, 4);
    let accepted = report_states.iter().filter(|s| *s == "accepted").count();
    let submitted = report_states.iter().filter(|s| *s == "submitted").count();
    assert_eq!((accepted, submitted), (5, 4), "{report_states:?}");
    assert_eq!(mails, 0);

    // A member added by the scale-up signs in with the demo password.
    let t = app
        .token("ngo-00001@ngo.example", "demo-yichuang-2026")
        .await;
    let (_, me) = app.get("/api/v1/me", Some(&t)).await;
    assert_eq!(me["role"], "ngo");

    // A second run refuses the filled database.
    let o = yichuang(&app, &["demo", "--seed-only", "--size", "city"]);
    assert!(!o.status.success());
    assert!(stdout(&o).contains("already holds data"), "{}", stdout(&o));
}
dual!(the_demo_grows_to_a_custom_size);
