//! Prints `/register` as the Worker renders it (zh-CN, today), for `make
//! size`: the public page's cold bytes are this HTML plus the files it links
//! (`dist/partner/`).

fn main() {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let today = chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .date_naive();
    let page = dealgate_server::pages::form_page(shared::Lang::ZhCn, today);
    print!("{}", String::from_utf8_lossy(&page.body));
}
