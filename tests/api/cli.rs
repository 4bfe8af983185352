//! The command line: migrate, user add, audit verify, backup.

use std::process::{Command, Output};

use crate::dual;
use crate::helpers::{spawn, Backend, TestApp};

fn yichuang(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args(args)
        .env("YICHUANG_DATA_DIR", &app.settings.data_dir)
        .env("YICHUANG_DATABASE_URL", app.settings.database_url.expose())
        .env("YICHUANG_CONFIG", "/nonexistent/yichuang.toml")
        .env("YICHUANG_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
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
        use diesel::RunQueryDsl;
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
