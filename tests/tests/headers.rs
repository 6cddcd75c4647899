//! Security headers (issue #15) as the real runtime serves them: the app's
//! pages (static assets, and the SPA's fallback for a deep link) and the API.

use dealgate_tests::{http, url};

const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'; object-src 'none'";

async fn headers(path: &str) -> reqwest::header::HeaderMap {
    let response = http()
        .get(url(path))
        .send()
        .await
        .expect("reach the runtime");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.headers().clone()
}

async fn text(path: &str) -> String {
    let response = http()
        .get(url(path))
        .send()
        .await
        .expect("reach the runtime");
    response.text().await.expect("a body")
}

#[tokio::test]
async fn every_app_page_allows_only_our_own_scripts_and_wasm_and_is_never_framed() {
    for path in ["/", "/opportunities/o_deep_link", "/login"] {
        let h = headers(path).await;
        assert_eq!(
            h.get("content-security-policy")
                .map(|v| v.to_str().unwrap()),
            Some(PAGE_CSP),
            "{path}"
        );
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin", "{path}");
        assert!(h.get("permissions-policy").is_some(), "{path}");
        assert!(h.get("strict-transport-security").is_some(), "{path}");
    }
    // index.html has no inline script left for the policy to refuse.
    let html = text("/").await;
    let scripts: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|tag| tag.split('>').next().unwrap_or_default())
        .collect();
    assert!(!scripts.is_empty(), "{html}");
    assert!(
        scripts.iter().all(|tag| tag.contains("src=")),
        "every script is a file: {scripts:?}"
    );
    assert!(scripts.iter().any(|tag| tag.contains("/app.js")), "{html}");
}

#[tokio::test]
async fn every_api_answer_runs_nothing_and_frames_nothing() {
    for path in ["/api/health", "/api/me", "/api/nowhere"] {
        let response = http().get(url(path)).send().await.expect("reach the API");
        let h = response.headers();
        assert_eq!(
            h.get("content-security-policy").unwrap(),
            "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(h.get("permissions-policy").is_some(), "{path}");
        // Plain HTTP locally: no HSTS from the API (a host test covers HTTPS).
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
}

#[tokio::test]
async fn the_icon_the_page_and_the_manifest_name_is_one_cached_svg_file() {
    let html = text("/").await;
    // An attribute's value, quoted or not (Trunk minifies the page).
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!(" {name}="))? + name.len() + 2;
        let value = &tag[start..];
        Some(match value.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next()?.to_string(),
            None => value.split(char::is_whitespace).next()?.to_string(),
        })
    };
    let links: Vec<&str> = html
        .split("<link")
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default())
        .collect();
    let link = |rel: &str| {
        links
            .iter()
            .find(|t| attr(t, "rel").as_deref() == Some(rel))
            .and_then(|t| attr(t, "href"))
            .unwrap_or_else(|| panic!("no rel={rel} link: {html}"))
    };
    let icon = link("icon");
    let manifest: serde_json::Value =
        serde_json::from_str(&text(&link("manifest")).await).expect("the manifest is JSON");
    let icons: Vec<&str> = manifest["icons"]
        .as_array()
        .expect("the manifest's icons")
        .iter()
        .filter_map(|i| i["src"].as_str())
        .collect();
    // One address: a browser that shows the tab's icon has the manifest's too.
    assert_eq!(icons, [icon.as_str()], "{manifest}");
    // A real file, not the SPA's fallback page.
    let response = http().get(url(&icon)).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{icon}: {}",
        response.status()
    );
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "image/svg+xml",
        "{icon}"
    );
    // Kept a while: the manifest's look at it is answered from the cache.
    let cache = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        cache.as_deref().is_some_and(|c| c.contains("max-age=")),
        "{icon}: {cache:?}"
    );
    let body = response.text().await.unwrap();
    assert!(body.trim_start().starts_with("<svg"), "{icon}: {body}");
}
