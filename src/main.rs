//! The `yichuang` command: serve (default), migrate, user add, audit verify, backup, demo.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yichuang::config::Settings;
use yichuang::db;
use yichuang::domain::account::Role;

mod cli;

#[derive(Parser)]
#[command(
    name = "yichuang",
    version,
    about = "益创 — public-benefit venture grant management (公益创投资助管理系统)"
)]
struct Cli {
    /// Data directory (SQLite database, outbox .eml files); overrides YICHUANG_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve {
        /// Port to listen on; overrides YICHUANG_PORT.
        #[arg(long)]
        port: Option<u16>,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the database to a file.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Fill an empty database with a demo of the whole lifecycle, then serve.
    Demo {
        /// Port to listen on; overrides YICHUANG_PORT.
        #[arg(long)]
        port: Option<u16>,
        /// How much data: district (the demo), city (+400 organizations, one round of 2,000
        /// proposals × 5 reviews) or province (+5,000 organizations, 20,000 proposals in 5
        /// rounds, 100,000 reviews, 8,000 projects, 100,000 reports).
        #[arg(long, default_value = "district")]
        size: String,
        /// A custom size instead: orgs,rounds,proposals,reviews-per-proposal,projects,reports.
        #[arg(long, hide = true)]
        scale: Option<String>,
        /// Seed and exit without serving.
        #[arg(long)]
        seed_only: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an active account with a one-time password (printed).
    Add {
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// The bureau of an officer (created if it does not exist).
        #[arg(long)]
        bureau: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the keyed hash chain (with YICHUANG_AUDIT_KEY) and report the first broken
    /// link; prints the entry count and head hash to keep elsewhere.
    Verify,
}

fn main() -> ExitCode {
    // The log format is a setting; an unreadable configuration logs as text, and the same
    // error is reported when the command loads its settings.
    let format = Settings::load().map(|s| s.log_format).unwrap_or_default();
    yichuang::telemetry::init_logging(format);
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli, port: Option<u16>) -> anyhow::Result<Settings> {
    let mut s = Settings::load()?;
    if let Some(d) = &cli.data_dir {
        s.data_dir = d.clone();
    }
    if let Some(p) = port {
        s.port = p;
    }
    s.finish()
}

#[actix_web::main]
async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        None | Some(Command::Serve { .. }) => {
            let port = match &cli.command {
                Some(Command::Serve { port }) => *port,
                _ => None,
            };
            let s = settings(&cli, port)?;
            let listener = TcpListener::bind((s.bind.as_str(), s.port))
                .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", s.bind, s.port))?;
            let backend = db::Backend::of_url(s.database_url.expose());
            let url = db::redact_url(s.database_url.expose());
            let base = s.base_url.clone();
            let started = yichuang::app::start(s, listener).await?;
            if let Some((email, password)) = &started.first_admin {
                println!(
                    "\n  首次启动：已创建管理员账户 / First start: an admin account was created"
                );
                println!("    email:    {email}");
                println!("    password: {password}   (一次性密码，首次登录后须修改 / one-time, change it at first sign-in)\n");
            }
            println!("yichuang listening on {base} (database: {backend:?} {url})");
            started.server.await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Migrate) => {
            let s = settings(&cli, None)?;
            yichuang::app::open_database(&s).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    name,
                    bureau,
                },
        }) => {
            let role = Role::parse(role).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role must be one of admin, officer, ngo, reviewer, evaluator, supervisor"
                )
            })?;
            if matches!(role, Role::Officer | Role::Supervisor) && bureau.is_none() {
                anyhow::bail!(
                    "an officer or supervisor belongs to a bureau: add --bureau \"姑苏区民政局\""
                );
            }
            let s = settings(&cli, None)?;
            let pool = yichuang::app::open_database(&s).await?;
            let mut conn = pool.get()?;
            let name = name
                .clone()
                .unwrap_or_else(|| email.split('@').next().unwrap_or("user").to_string());
            let password = yichuang::ops::accounts::create_with_password(
                &mut conn,
                role,
                email,
                &name,
                bureau.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!("{}", e.message(yichuang::i18n::Lang::En)))?;
            println!(
                "created {} {email}\none-time password: {password}",
                role.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => {
            let s = settings(&cli, None)?;
            let pool = yichuang::app::open_database_to_verify(&s).await?;
            let mut conn = pool.get()?;
            let key = db::audit::AuditKey::new(s.audit_key.expose());
            let v = db::audit::verify(&mut conn, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
            match v.first_broken {
                None => {
                    println!(
                        "audit chain intact: {} entries ({} unkeyed from before the key, sealed)\nhead: {}",
                        v.entries, v.legacy_entries, v.head
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    println!(
                        "audit chain BROKEN at entry {seq}: {why} ({} entries verified before it)",
                        v.entries
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
        Some(Command::Demo {
            port,
            size,
            scale,
            seed_only,
        }) => {
            let scale = match scale {
                Some(custom) => Some(cli::scale::Scale::parse(custom)?),
                None => cli::scale::Scale::of_size(size)?,
            };
            let s = settings(&cli, *port)?;
            if *seed_only {
                let demo = cli::demo::prepare(&s, scale).await?;
                demo.print(&s.base_url);
                return Ok(ExitCode::SUCCESS);
            }
            let listener = TcpListener::bind((s.bind.as_str(), s.port))
                .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", s.bind, s.port))?;
            let demo = cli::demo::prepare(&s, scale).await?;
            let base = s.base_url.clone();
            let started = yichuang::app::start(s, listener).await?;
            demo.print(&base);
            println!("yichuang listening on {base}");
            started.server.await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { to }) => {
            let s = settings(&cli, None)?;
            backup(&s, to).await?;
            println!("backup written to {}", to.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn backup(s: &Settings, to: &std::path::Path) -> anyhow::Result<()> {
    if to.exists() {
        anyhow::bail!("{} exists; choose a new file", to.display());
    }
    let url = s.database_url.expose();
    match db::Backend::of_url(url) {
        db::Backend::Sqlite => {
            let pool = yichuang::app::open_database(s).await?;
            let mut conn = pool.get()?;
            let target = to.to_string_lossy().replace('\'', "''");
            use diesel::connection::SimpleConnection;
            conn.batch_execute(&format!("VACUUM INTO '{target}'"))?;
            Ok(())
        }
        db::Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(to)
                .arg(url)
                .status()
                .map_err(|e| anyhow::anyhow!("pg_dump is needed to back up PostgreSQL: {e}"))?;
            if !status.success() {
                anyhow::bail!("pg_dump failed ({status})");
            }
            Ok(())
        }
    }
}
