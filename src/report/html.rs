//! The page: sections, tables and figures in one HTML document with inline CSS.

use std::fmt::Write as _;

/// HTML-escapes text.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Money for people: `$1,234`, `$42.5`.
pub(super) fn money(currency: &str, v: f64) -> String {
    let n = crate::plot::number(v.abs());
    let sign = if v < 0.0 && n != "0" { "−" } else { "" };
    format!("{sign}{}{n}", esc(currency))
}

/// A share as a percentage: `12.3%`.
pub(super) fn pct(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let p = 100.0 * v;
    if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1d2330;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:28px;margin:8px 0 4px}
h2{font-size:21px;margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid #d5dae3}
nav{font-size:14px;margin-bottom:12px}
nav a{margin-right:14px;color:#1f5fa8;text-decoration:none}
p{max-width:980px;margin:8px 0 12px}
table{border-collapse:collapse;margin:10px 0 18px;background:#fff;font-size:14px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{padding:5px 10px;border-bottom:1px solid #e3e6ec;text-align:right;vertical-align:top}
th{background:#eef1f6;font-weight:600}
td:first-child,th:first-child,td.t{text-align:left}
tr:nth-child(even) td{background:#fafbfc}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin:12px 0}
.charts.one{grid-template-columns:minmax(0,1fr)}
figure.chart{margin:0;background:#fff;padding:6px;box-shadow:0 1px 2px rgba(0,0,0,.1)}
figure.chart svg{display:block;width:100%;height:auto}
.muted{color:#5b6475;font-size:13px}
";

/// The document under construction.
pub(super) struct Page {
    body: String,
    nav: Vec<(String, String)>,
    title: String,
    charts: usize,
}

impl Page {
    pub(super) fn new(title: &str) -> Self {
        Page {
            body: String::new(),
            nav: Vec::new(),
            title: title.to_string(),
            charts: 0,
        }
    }

    pub(super) fn section(&mut self, id: &str, title: &str) {
        let _ = writeln!(self.body, "<h2 id=\"{id}\">{}</h2>", esc(title));
        self.nav.push((id.to_string(), title.to_string()));
    }

    /// A paragraph of trusted HTML.
    pub(super) fn para(&mut self, html: &str) {
        let _ = writeln!(self.body, "<p>{html}</p>");
    }

    /// A table of plain-text cells (escaped).
    pub(super) fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| esc(c)).collect())
            .collect();
        self.table_html(head, &rows);
    }

    /// A table of trusted-HTML cells.
    pub(super) fn table_html(&mut self, head: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("<table>");
        if head.iter().any(|h| !h.is_empty()) {
            self.body.push_str("<thead><tr>");
            for h in head {
                let _ = write!(self.body, "<th>{}</th>", esc(h));
            }
            self.body.push_str("</tr></thead>");
        }
        self.body.push_str("<tbody>");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                // text reads from the left, numbers from the right
                let text = c.chars().next().is_some_and(char::is_alphabetic);
                let class = if text { " class=\"t\"" } else { "" };
                let _ = write!(self.body, "<td{class}>{c}</td>");
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table>\n");
    }

    /// SVG charts side by side (two per row; one alone spans the row).
    pub(super) fn charts(&mut self, svgs: &[String]) {
        let class = if svgs.len() == 1 {
            "charts one"
        } else {
            "charts"
        };
        let _ = writeln!(self.body, "<div class=\"{class}\">");
        for svg in svgs {
            self.charts += 1;
            let svg = svg
                .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .unwrap_or(svg);
            let _ = writeln!(
                self.body,
                "<figure class=\"chart\" id=\"chart-{}\">{}</figure>",
                self.charts,
                with_view_box(svg.trim())
            );
        }
        self.body.push_str("</div>\n");
    }

    pub(super) fn finish(self) -> String {
        let mut out = String::with_capacity(self.body.len() + 4096);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t}</title><style>{STYLE}</style></head>\n<body><main>\n<h1>{t}</h1>\n<nav>",
            t = esc(&self.title)
        );
        for (id, title) in &self.nav {
            let _ = write!(out, "<a href=\"#{id}\">{}</a>", esc(title));
        }
        out.push_str("</nav>\n");
        out.push_str(&self.body);
        let _ = write!(
            out,
            "<p class=\"muted\">{} charts. Generated by clv {}.</p>\n</main></body></html>\n",
            self.charts,
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// Adds a `viewBox` to an `<svg width=".." height="..">` root so that it scales with the page.
fn with_view_box(svg: &str) -> String {
    if svg.contains("viewBox") {
        return svg.to_string();
    }
    let attr = |name: &str| -> Option<&str> {
        let start = svg.find(&format!("{name}=\""))? + name.len() + 2;
        let len = svg[start..].find('"')?;
        Some(&svg[start..start + len])
    };
    match (attr("width"), attr("height")) {
        (Some(w), Some(h)) => svg.replacen("<svg ", &format!("<svg viewBox=\"0 0 {w} {h}\" "), 1),
        _ => svg.to_string(),
    }
}
