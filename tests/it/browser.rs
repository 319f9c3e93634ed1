//! index.html in a real browser: headless Chromium opens a generated report and the page must
//! load with no script or console errors, every chart (inline SVG) must render with a size,
//! every chart's PNG must decode (naturalWidth > 0), every `<img>` must resolve and every
//! in-page link must reach an anchor. A planted broken page shows the check is not vacuous.
//!
//! Chromium comes from `scripts/ci-deps.sh` (Debian's `chromium`). Without it the test prints
//! why and is skipped; with `ASYNCBENCH_REQUIRE_BROWSER=1` (set by `.ci/run` once the browser
//! is installed) a missing browser fails instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::common::{TestResult, catalogue, make_run};
use asyncbench::report;

/// Runs first in `<head>`: records uncaught errors, failed resources, rejections and
/// console.error calls.
const CAPTURE: &str = r#"<script>window.__errs=[];
window.addEventListener('error',function(e){var t=e.target;__errs.push(t&&t!==window?'resource failed: '+(t.src||t.href||t.tagName):'uncaught: '+e.message);},true);
window.addEventListener('unhandledrejection',function(e){__errs.push('rejection: '+e.reason);});
(function(){var c=console.error;console.error=function(){__errs.push('console.error: '+Array.prototype.join.call(arguments,' '));c.apply(console,arguments);};})();
</script>"#;

/// Runs at the end of `<body>`: after load, checks charts, images and links, then writes the
/// verdict as base64 JSON into `<pre id="browser-check">` for `--dump-dom` to carry out.
const CHECK: &str = r##"<script>
window.addEventListener('load',function(){
  var r={figures:0,bad_figures:[],pngs:0,bad_pngs:[],imgs:0,bad_imgs:[],links:0,bad_links:[]};
  document.querySelectorAll('figure').forEach(function(f,i){
    r.figures++;var s=f.querySelector('svg');var b=s&&s.getBoundingClientRect();
    if(!s||!(b.width>0&&b.height>0)||s.childElementCount===0){r.bad_figures.push(i+': '+(f.getAttribute('aria-label')||''));}
  });
  Array.prototype.forEach.call(document.images,function(im){r.imgs++;if(!(im.complete&&im.naturalWidth>0)){r.bad_imgs.push(im.getAttribute('src'));}});
  document.querySelectorAll('a[href^="#"]').forEach(function(a){r.links++;var id=decodeURIComponent(a.getAttribute('href').slice(1));if(!document.getElementById(id)){r.bad_links.push(id);}});
  var loads=Array.prototype.map.call(document.querySelectorAll('figure a[href$=".png"]'),function(a){
    r.pngs++;var src=a.getAttribute('href');
    return new Promise(function(ok){var im=new Image();im.onload=function(){if(!(im.naturalWidth>0)){r.bad_pngs.push(src);}ok();};im.onerror=function(){r.bad_pngs.push(src);ok();};im.src=src;});
  });
  Promise.all(loads).then(function(){
    r.errors=window.__errs;var p=document.createElement('pre');p.id='browser-check';
    p.textContent=btoa(unescape(encodeURIComponent(JSON.stringify(r))));document.body.appendChild(p);
  });
});
</script>"##;

fn browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// `page` with the capture script first in `<head>` and the check last in `<body>`.
fn instrument(page: &str) -> String {
    page.replacen("<head>", &format!("<head>\n{CAPTURE}"), 1)
        .replacen("</body>", &format!("{CHECK}\n</body>"), 1)
}

/// Opens `page` in headless Chromium and returns the check's verdict.
fn open(browser: &Path, page: &Path) -> Result<Value, Box<dyn std::error::Error>> {
    let profile = tempfile::tempdir()?;
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Let loads and promises finish before the DOM is dumped.
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()?;
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"browser-check\">").ok_or_else(|| {
        format!(
            "the check did not report (exit {:?}); stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let body = &dom[start + "<pre id=\"browser-check\">".len()..];
    let b64 = body.split("</pre>").next().unwrap_or("");
    let json = base64::engine::general_purpose::STANDARD.decode(b64.trim())?;
    Ok(serde_json::from_slice(&json)?)
}

fn list(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn index_html_loads_in_chromium_without_errors_and_every_chart_resolves() -> TestResult {
    let Some(browser) = browser() else {
        let why = "no chromium on PATH (nor $CHROMIUM); scripts/ci-deps.sh installs Debian's chromium";
        assert!(
            std::env::var_os("ASYNCBENCH_REQUIRE_BROWSER").is_none(),
            "ASYNCBENCH_REQUIRE_BROWSER is set but {why}"
        );
        eprintln!("SKIPPED browser test: {why}");
        return Ok(());
    };
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    // alpha's questions, as a real run's summary declares them: index.html draws a chart each.
    let path = dir.join("summary.json");
    let mut s = asyncbench::results::Summary::read(&path)?;
    s.scenarios.entry("alpha".into()).or_default().comparisons = vec![
        asyncbench::results::Comparison::variants("join_all", "sequential", "gather vs sequential").headline(),
        asyncbench::results::Comparison::runtimes("join_all", "which runtime gathers fastest"),
    ];
    fs::write(&path, serde_json::to_string(&s)?)?;
    let files = report::report(&dir)?;
    let page = fs::read_to_string(&files.html)?;

    // index.html and a scenario page, each checked where it sits so that relative chart links
    // resolve as they do there.
    // index.html: the overview and the headline question; the page: its questions and tables.
    for (html, at_least) in [(files.html.clone(), 2), (dir.join("scenarios/alpha.html"), 5)] {
        let text = fs::read_to_string(&html)?;
        let checked = html.with_file_name("browser-check.html");
        fs::write(&checked, instrument(&text))?;
        let v = open(&browser, &checked)?;
        let figures = v["figures"].as_u64().unwrap_or(0);
        assert!(figures >= at_least, "too few charts on {}: {v}", html.display());
        assert_eq!(v["pngs"].as_u64(), Some(figures), "one PNG link per chart: {v}");
        for key in ["errors", "bad_figures", "bad_pngs", "bad_imgs", "bad_links"] {
            assert!(
                list(&v, key).is_empty(),
                "{}: {key}: {:?}",
                html.display(),
                list(&v, key)
            );
        }
    }

    // A planted broken page: a missing image, a script error, a dead link. All three must show.
    let broken = page.replacen(
        "</body>",
        "<img src=\"charts/missing.png\" alt=\"x\"><a href=\"#nowhere\">x</a><script>notDefined();</script></body>",
        1,
    );
    let planted = dir.join("browser-planted.html");
    fs::write(&planted, instrument(&broken))?;
    let v = open(&browser, &planted)?;
    assert_eq!(list(&v, "bad_imgs"), ["charts/missing.png"], "{v}");
    assert_eq!(list(&v, "bad_links"), ["nowhere"], "{v}");
    let errors = list(&v, "errors");
    assert!(errors.iter().any(|e| e.contains("notDefined")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("missing.png")), "{errors:?}");
    Ok(())
}
