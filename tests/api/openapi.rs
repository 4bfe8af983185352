//! The OpenAPI document: every operation declares the parameters of its path, operation ids
//! are unique, and every route of the API scope is documented.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn, Backend};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The `{name}` segments of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.insert(rest[start + 1..start + len].to_string());
        rest = &rest[start + len + 1..];
    }
    out
}

/// The names of the parameters declared `in` a place, following `$ref`s into components.
fn declared(doc: &Value, params: Option<&Value>, place: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in params.and_then(Value::as_array).into_iter().flatten() {
        let p = match p["$ref"].as_str() {
            Some(r) => doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
            None => p,
        };
        if p["in"] == place {
            out.push(p["name"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

/// Every problem of the document: undeclared or extra path parameters, path parameters not
/// marked required, and duplicate operation ids.
fn problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let paths = doc["paths"].as_object().expect("the document has paths");
    for (path, item) in paths {
        let template = template_params(path);
        let shared = declared(doc, item.get("parameters"), "path");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_uppercase());
            let mut in_path = shared.clone();
            in_path.extend(declared(doc, op.get("parameters"), "path"));
            let declared_set: BTreeSet<String> = in_path.iter().cloned().collect();
            let missing: Vec<_> = template.difference(&declared_set).collect();
            if !missing.is_empty() {
                problems.push(format!("{name}: path parameters not declared: {missing:?}"));
            }
            let extra: Vec<_> = declared_set.difference(&template).collect();
            if !extra.is_empty() {
                problems.push(format!(
                    "{name}: declares path parameters not in its path: {extra:?}"
                ));
            }
            if in_path.len() != declared_set.len() {
                problems.push(format!("{name}: a path parameter is declared twice"));
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" && p["required"] != true {
                    problems.push(format!(
                        "{name}: path parameter {} is not required",
                        p["name"]
                    ));
                }
            }
            match op["operationId"].as_str() {
                Some(id) => ids.entry(id.to_string()).or_default().push(name),
                None => problems.push(format!("{name}: no operationId")),
            }
        }
    }
    for (id, ops) in ids {
        if ops.len() > 1 {
            problems.push(format!("operationId {id} is used by {ops:?}"));
        }
    }
    problems
}

/// The source of the API scope and of each area module whose handlers it registers.
const API_SRC: &str = include_str!("../../src/web/api/mod.rs");
const AREAS: [(&str, &str); 17] = [
    ("admin", include_str!("../../src/web/api/admin.rs")),
    ("auth", include_str!("../../src/web/api/auth.rs")),
    ("award", include_str!("../../src/web/api/award.rs")),
    ("calls", include_str!("../../src/web/api/calls.rs")),
    ("changes", include_str!("../../src/web/api/changes.rs")),
    (
        "evaluations",
        include_str!("../../src/web/api/evaluations.rs"),
    ),
    ("me", include_str!("../../src/web/api/me.rs")),
    ("orgs", include_str!("../../src/web/api/orgs.rs")),
    ("projects", include_str!("../../src/web/api/projects.rs")),
    ("proposals", include_str!("../../src/web/api/proposals.rs")),
    ("reports", include_str!("../../src/web/api/reports.rs")),
    ("reviews", include_str!("../../src/web/api/reviews.rs")),
    ("rosters", include_str!("../../src/web/api/rosters.rs")),
    ("rounds", include_str!("../../src/web/api/rounds.rs")),
    ("screening", include_str!("../../src/web/api/screening.rs")),
    ("visits", include_str!("../../src/web/api/visits.rs")),
    ("verify", include_str!("../../src/web/api/verify.rs")),
];

/// The first `"…"` literal of `s` and what follows it.
fn quoted(s: &str) -> (&str, &str) {
    let start = s.find('"').expect("a string literal") + 1;
    let len = s[start..].find('"').expect("the end of the literal");
    (&s[start..start + len], &s[start + len + 1..])
}

/// The method and path of the actix route macro (`#[get("/x")]`) on handler `name` of an area.
fn handler_route(area: &str, name: &str) -> String {
    let (_, src) = AREAS
        .iter()
        .find(|(a, _)| *a == area)
        .unwrap_or_else(|| panic!("area module {area} is not in AREAS"));
    let at = src
        .find(&format!(" async fn {name}("))
        .unwrap_or_else(|| panic!("handler {area}::{name} not found"));
    let attr_line = src[..at].lines().rev().nth(1).unwrap_or_default();
    let method: String = attr_line
        .trim_start_matches("#[")
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    assert!(
        ["get", "put", "post", "delete"].contains(&method.as_str()),
        "{area}::{name} has no route macro right above it: {attr_line}"
    );
    format!("{} /api/v1{}", method.to_uppercase(), quoted(attr_line).0)
}

/// The routes registered in the API scope (`src/web/api/mod.rs`): each `.service(area::handler)`
/// with its handler's route macro, and any plain `.route("/x", web::get()...)`, as `GET
/// /api/v1/x` with actix's `{name}` segments.
fn registered_routes() -> BTreeSet<String> {
    let scope = &API_SRC[API_SRC.find("pub fn scope()").expect("the API scope")..];
    let scope = &scope[..scope.find("\n}\n").expect("end of the scope")];
    let mut out = BTreeSet::new();
    let mut rest = scope;
    while let Some(at) = rest.find(".service(") {
        rest = &rest[at + ".service(".len()..];
        let target: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let (area, name) = target
            .split_once("::")
            .unwrap_or_else(|| panic!("register handlers as area::handler: {target}"));
        out.insert(handler_route(area, name));
    }
    let mut rest = scope;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let (path, after) = quoted(rest);
        let method_at = after.find("web::").unwrap() + "web::".len();
        let method: String = after[method_at..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        out.insert(format!("{} /api/v1{path}", method.to_uppercase()));
    }
    out
}

fn documented_routes(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

#[actix_rt::test]
async fn the_openapi_document_declares_every_path_parameter_and_route() {
    let app = spawn(Backend::Sqlite).await;
    let (s, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));

    let problems = problems(&doc);
    assert!(
        problems.is_empty(),
        "{} problems in the OpenAPI document:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // Query parameters of the list filters and of paging are declared as such.
    let projects = &doc["paths"]["/api/v1/projects"]["get"];
    assert_eq!(
        declared(&doc, projects.get("parameters"), "query"),
        ["round_id", "page", "per_page"]
    );
    let headers = &projects["responses"]["200"]["headers"];
    assert!(
        headers.get("Link").is_some() && headers.get("X-Total-Count").is_some(),
        "{headers}"
    );
    let submissions = &doc["paths"]["/api/v1/rounds/{id}/submissions"]["get"];
    assert!(!declared(&doc, submissions.get("parameters"), "query").is_empty());

    // Every list pages: a GET answering an array (or carrying a total) declares `page` and
    // `per_page` and documents `X-Total-Count` and `Link`. A proposal's checklist is its
    // screening form, not a list.
    let mut lists = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(get) = ops.get("get") else { continue };
        let ok = &get["responses"]["200"];
        let array = ok["content"]["application/json"]["schema"]["type"] == "array";
        let headers = &ok["headers"];
        if !(array || headers.get("X-Total-Count").is_some()) || path.ends_with("/checklist") {
            continue;
        }
        lists += 1;
        let query = declared(&doc, get.get("parameters"), "query");
        assert!(
            query.iter().any(|q| q == "page") && query.iter().any(|q| q == "per_page"),
            "{path} pages: {query:?}"
        );
        assert!(
            headers.get("Link").is_some() && headers.get("X-Total-Count").is_some(),
            "{path} documents its list headers: {headers}"
        );
    }
    assert!(lists >= 15, "the lists were found: {lists}");

    let registered = registered_routes();
    assert!(
        registered.len() > 100,
        "the scope was parsed: {registered:?}"
    );
    let documented = documented_routes(&doc);
    let undocumented: Vec<_> = registered
        .iter()
        .filter(|r| !r.ends_with("/openapi.json") && !documented.contains(*r))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes registered but missing from the OpenAPI document:\n{undocumented:#?}"
    );
    let unrouted: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unrouted.is_empty(),
        "operations documented but not routed:\n{unrouted:#?}"
    );
}

#[test]
fn the_document_check_names_every_offender() {
    let doc = serde_json::json!({
        "paths": {
            "/a/{id}": {
                "get": {"operationId": "one"},
                "put": {"operationId": "two", "parameters": [{"name": "id", "in": "path", "required": true}]}
            },
            "/b/{id}/c/{cid}": {
                "post": {"operationId": "one", "parameters": [{"name": "id", "in": "path", "required": true}]}
            }
        }
    });
    let p = problems(&doc);
    assert!(
        p.iter()
            .any(|l| l.starts_with("GET /a/{id}") && l.contains("\"id\"")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("POST /b/{id}/c/{cid}") && l.contains("\"cid\"")),
        "{p:?}"
    );
    assert!(!p.iter().any(|l| l.starts_with("PUT /a/{id}")), "{p:?}");
    assert!(p.iter().any(|l| l.contains("operationId one")), "{p:?}");
    assert_eq!(p.len(), 3, "{p:?}");
}
