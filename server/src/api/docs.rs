//! The OpenAPI document (`/api/v1/openapi.json`) and a readable page built
//! from it (`/api/v1/docs`); both public, neither needs a key.

use app::platform::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::fmt::Write;
use std::sync::Arc;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr};

pub fn routes(doc: Arc<OpenApi>) -> Router<AppState> {
    let json = serde_json::to_string_pretty(&*doc).unwrap_or_else(|_| "{}".into());
    let page = Arc::new(render(&doc));
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    let mut r = json.into_response();
                    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    r
                }
            }),
        )
        .route(
            "/api/v1/docs",
            get(move || {
                let page = page.clone();
                async move { Html((*page).clone()).into_response() as Response }
            }),
        )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `code` spans for backticks in the API's own descriptions.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn schema_name(r: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match r {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().unwrap_or("").to_string(),
        RefOr::T(_) => "object".into(),
    }
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    let _ = write!(
        out,
        r##"<section class="op" id="{id}"><h3><span class="m {m}">{M}</span> <code>{path}</code></h3>"##,
        id = esc(&id),
        m = method,
        M = method.to_uppercase(),
        path = esc(path)
    );
    if let Some(s) = &op.summary {
        let _ = write!(out, "<p>{}</p>", prose(s));
    }
    if let Some(d) = &op.description {
        let _ = write!(out, "<p class=\"desc\">{}</p>", prose(d));
    }
    let params = op.parameters.as_deref().unwrap_or(&[]);
    if !params.is_empty() {
        out.push_str("<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>About</th></tr>");
        for p in params {
            let place = match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            };
            let required = matches!(p.required, utoipa::openapi::Required::True);
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{place}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.name),
                if required { "yes" } else { "" },
                prose(p.description.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = &op.request_body {
        let names: Vec<String> = body.content.values().filter_map(|c| c.schema.as_ref().map(schema_name)).collect();
        let _ = write!(out, "<p><b>Body</b> (JSON): <a href=\"#schema-{0}\">{0}</a></p>", esc(&names.join(", ")));
    }
    out.push_str("<ul class=\"responses\">");
    for (code, resp) in &op.responses.responses {
        if let RefOr::T(r) = resp {
            let names: Vec<String> = r.content.values().filter_map(|c| c.schema.as_ref().map(schema_name)).collect();
            let link = names.first().map(|n| format!(" → <a href=\"#schema-{0}\">{0}</a>", esc(n))).unwrap_or_default();
            let _ = write!(out, "<li><code>{}</code> {}{link}</li>", esc(code), prose(&r.description));
        }
    }
    out.push_str("</ul></section>");
}

/// A type in a few words: "string (date-time) or null", "array of Contact".
fn type_words(v: &serde_json::Value) -> String {
    if let Some(r) = v.get("$ref").and_then(|r| r.as_str()) {
        let n = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(n));
    }
    if let Some(one) = v.get("oneOf").and_then(|o| o.as_array()) {
        return one.iter().map(type_words).collect::<Vec<_>>().join(" or ");
    }
    if let Some(values) = v.get("enum").and_then(|e| e.as_array()) {
        let vals: Vec<String> =
            values.iter().filter_map(|x| x.as_str()).map(|x| format!("<code>{}</code>", esc(x))).collect();
        return format!("one of {}", vals.join(", "));
    }
    let kinds: Vec<String> = match v.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.clone()],
        Some(serde_json::Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => vec!["any".into()],
    };
    kinds
        .iter()
        .map(|k| match (k.as_str(), v.get("format").and_then(|f| f.as_str()), v.get("items")) {
            ("array", _, Some(items)) => format!("array of {}", type_words(items)),
            (k, Some(f), _) => format!("{k} ({f})"),
            (k, None, _) => k.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A schema as a table of its fields (or a line for enums and scalars).
fn shape(v: &serde_json::Value) -> String {
    let Some(props) = v.get("properties").and_then(|p| p.as_object()) else {
        return format!("<p>{}</p>", type_words(v));
    };
    let required: Vec<&str> = v
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let mut out = String::from("<table><tr><th>Field</th><th>Type</th><th>Required</th><th>About</th></tr>");
    for (name, p) in props {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            type_words(p),
            if required.contains(&name.as_str()) { "yes" } else { "" },
            prose(p.get("description").and_then(|d| d.as_str()).unwrap_or(""))
        );
    }
    out.push_str("</table>");
    out
}

fn render(doc: &OpenApi) -> String {
    let mut body = String::new();
    let tags = doc.tags.clone().unwrap_or_default();
    let mut nav = String::new();
    for tag in &tags {
        let _ = write!(nav, "<a href=\"#tag-{0}\">{0}</a>", esc(&tag.name));
        let _ = write!(
            body,
            "<h2 id=\"tag-{0}\">{0}</h2><p class=\"desc\">{1}</p>",
            esc(&tag.name),
            prose(tag.description.as_deref().unwrap_or(""))
        );
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("get", &item.get),
                ("post", &item.post),
                ("patch", &item.patch),
                ("put", &item.put),
                ("delete", &item.delete),
            ];
            for (method, op) in ops {
                if let Some(op) = op {
                    if op.tags.as_ref().is_some_and(|t| t.contains(&tag.name)) {
                        operation(&mut body, method, path, op);
                    }
                }
            }
        }
    }
    body.push_str("<h2 id=\"schemas\">Shapes</h2>");
    if let Some(c) = &doc.components {
        for (name, schema) in &c.schemas {
            let v = serde_json::to_value(schema).unwrap_or_default();
            let _ =
                write!(body, "<section class=\"op\" id=\"schema-{0}\"><h3>{0}</h3>{1}</section>", esc(name), shape(&v));
        }
    }
    let problems = [
        ("invalid", "422", "The request isn't valid. <code>field</code> names the part to fix (a body field, a query parameter, or <code>Idempotency-Key</code>)."),
        ("unauthenticated", "401", "No API key, or one that isn't valid or was revoked."),
        ("forbidden", "403", "The key may not do this: read-only keys can only GET."),
        ("not-found", "404", "No such record in your business (or no such endpoint)."),
        ("conflict", "409", "Valid, but not possible now: an overlapping window, a cancelled booking, a text the anti-poaching check stopped, an opted-out client."),
        ("rate-limited", "429", "Too many requests for this key; <code>Retry-After</code> says how many seconds to wait."),
        ("unsupported-media-type", "415", "Send bodies as JSON with <code>Content-Type: application/json</code>."),
        ("internal", "500", "Our fault. Quote <code>request_id</code> to support."),
        ("unavailable", "503", "Try again shortly."),
    ];
    let mut problem_rows = String::new();
    for (slug, code, text) in problems {
        let _ = write!(
            problem_rows,
            "<tr id=\"problem-{slug}\"><td><code>{slug}</code></td><td>{code}</td><td>{text}</td></tr>"
        );
    }
    let title = esc(&doc.info.title);
    let about = prose(doc.info.description.as_deref().unwrap_or(""));
    format!(
        r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
body{{font:15px/1.55 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1e293b;background:#f8fafc}}
header{{background:#0f172a;color:#fff;padding:20px 32px}} header h1{{margin:0;font-size:22px}} header p{{margin:6px 0 0;color:#cbd5e1;max-width:900px}}
nav{{padding:10px 32px;background:#fff;border-bottom:1px solid #e2e8f0;position:sticky;top:0}} nav a{{margin-right:16px;color:#0f766e;text-decoration:none;font-weight:600}}
main{{max-width:1000px;margin:0 auto;padding:8px 32px 48px}} h2{{margin-top:36px;border-bottom:2px solid #e2e8f0;padding-bottom:4px;text-transform:capitalize}}
.op{{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 18px;margin:14px 0}} .op h3{{margin:0 0 6px;font-size:16px}}
.m{{display:inline-block;min-width:54px;text-align:center;border-radius:6px;padding:1px 6px;font-size:12px;color:#fff}}
.get{{background:#0369a1}} .post{{background:#15803d}} .patch{{background:#b45309}} .delete{{background:#b91c1c}} .put{{background:#7c3aed}}
.desc{{color:#475569}} table{{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}} td,th{{border-bottom:1px solid #f1f5f9;text-align:left;padding:4px 8px;vertical-align:top}}
code{{background:#f1f5f9;border-radius:4px;padding:0 4px;font-size:13px}} header code{{background:#1e293b;color:#e2e8f0}} pre{{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:8px;overflow:auto;font-size:12px}}
.responses{{margin:6px 0 0;padding-left:18px;font-size:14px}}
</style></head><body>
<header><h1>{title} <small style="font-weight:400;color:#94a3b8">v{version}</small></h1><p>{about}</p></header>
<nav><a href="#start">Start</a>{nav}<a href="#schemas">Shapes</a><a href="/api/v1/openapi.json">openapi.json</a></nav>
<main><h2 id="start">Start</h2>
<p>Create a key in <b>Settings → API keys</b> (or <code>server api-key create --org 1 --name Zapier</code>), then:</p>
<pre>curl -s https://YOUR-HOST/api/v1/bookings \
  -H "Authorization: Bearer ll_…" -H "Content-Type: application/json" \
  -H "Idempotency-Key: booking-4711" \
  -d '{{"client_id": 3, "sitter_id": 1, "kind": "one_time_booking",
       "starts_at": "2026-12-01T15:00:00Z", "ends_at": "2026-12-01T18:00:00Z"}}'</pre>
<p>Times are RFC 3339 (UTC or with an offset), phone numbers E.164. Lists return <code>items</code> and <code>next_cursor</code>; pass it back as <code>cursor</code>.
Each key has a rate limit (120 requests a minute unless set otherwise). Every call is recorded in the audit trail under the key's name.</p>
<h3>Problems</h3><p>Errors are <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and, for validation, <code>field</code>.</p>
<table><tr><th>Type</th><th>Status</th><th>Meaning</th></tr>{problem_rows}</table>
{body}</main></body></html>"##,
        version = esc(&doc.info.version),
    )
}
