//! The partners' public pages, `/register` and `/register/{reference}`,
//! rendered here as plain HTML: a partner on a phone, with no account,
//! gets the form or the status they came for in the first response, and
//! never downloads the reps' app. One small script (the `partner` crate:
//! `shared`'s own form rules in wasm) checks the form as they type, sends
//! it, and withdraws; the page reads and works without waiting for it.
//!
//! The status page shows the status only (as `GET
//! /api/public/registrations/{reference}` does), is never cached, never
//! indexed, and never sends its address as a referrer.

use crate::api::registrations::status_by_reference;
use crate::http::{Method, Request, Response};
use crate::runtime::Runtime;
use chrono::{DateTime, NaiveDate, Utc};
use shared::Lang;
use shared::lead::MAX_DESCRIPTION;
use shared::opportunity::MAX_NAME;
use shared::registration::{RegistrationStatus, RegistrationStatusView};

/// Where the pages' stylesheet and script are (static assets, built into
/// `dist/partner/` by `app/build-wasm.sh`).
pub const ASSET_DIR: &str = "/partner/";

/// Does the Worker render this path (wrangler.toml `run_worker_first`)?
pub fn is_page_path(path: &str) -> bool {
    path == "/register" || path.starts_with("/register/")
}

/// Headers of every page: private and unframed; the status page's address
/// holds the partner's reference, so it is never a referrer nor cached.
const PAGE_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-robots-tag", "noindex"),
    ("content-security-policy", crate::http::PAGE_CSP),
];

/// The texts of the public pages, zh-CN and en, written once.
macro_rules! texts {
    ($($name:ident => ($zh:expr, $en:expr $(,)?)),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($name,)* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$name,)*];

            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$name, Lang::ZhCn) => $zh, (T::$name, Lang::En) => $en,)*
                }
            }
        }
    };
}

texts! {
    FormTitle => ("合作伙伴商机报备", "Register a deal as our partner"),
    FormIntro => (
        "报备您发现的商机：我们核对无冲突并批准后，该商机在保护期内由您主导。提交后您会得到一个专属链接，用于查看进度。",
        "Tell us about a deal you found. Once we have checked it against our pipeline and approved it, the deal is yours to lead for the protection period. You get a private link to follow it.",
    ),
    YourCompany => ("您的公司", "Your company"),
    TheDeal => ("客户与项目", "The customer and the project"),
    PartnerCompany => ("公司名称", "Company name"),
    PartnerContact => ("联系人", "Contact person"),
    PartnerEmail => ("电子邮箱", "E-mail"),
    PartnerPhone => ("电话", "Phone"),
    CustomerCompany => ("客户公司", "Customer company"),
    ProjectTitle => ("项目名称", "Project title"),
    Description => ("项目说明（可选）", "Description (optional)"),
    Amount => ("预计金额（元）", "Estimated amount (CNY)"),
    AmountHint => ("例如 1,200,000", "e.g. 1,200,000"),
    ExpectedClose => ("预计签约日期", "Expected close date"),
    Honeypot => ("请勿填写此项", "Leave this empty"),
    Submit => ("提交报备", "Submit the registration"),
    Sending => ("正在提交…", "Sending…"),
    FixErrors => ("请先修改标出的内容。", "Please correct the marked fields first."),
    Network => (
        "无法连接服务器，您填写的内容仍保留，请稍后重试。",
        "We could not reach the server. What you typed is kept: try again in a moment.",
    ),
    NeedsScript => (
        "提交报备需要启用 JavaScript。",
        "Submitting a registration needs JavaScript.",
    ),
    Privacy => (
        "我们只用这些信息审核本次报备并与您联系。",
        "We use these details only to review this registration and to contact you.",
    ),
    StatusTitle => ("报备进度", "Your registration"),
    Submitted => ("已提交，等待审核", "Submitted, waiting for review"),
    Approved => ("已批准", "Approved"),
    Rejected => ("未获批准", "Not approved"),
    Expired => ("保护期已结束", "Protection ended"),
    Withdrawn => ("已撤回", "Withdrawn"),
    SubmittedOn => ("提交时间", "Submitted on"),
    ReviewSoon => (
        "渠道经理会核对该商机与我方现有商机及其他报备是否冲突，通常在两个工作日内处理。",
        "A channel manager checks it against our open deals and other registrations, usually within two working days.",
    ),
    Withdraw => ("撤回报备", "Withdraw the registration"),
    ConfirmWithdraw => (
        "确定撤回这次报备吗？撤回后不能恢复。",
        "Withdraw this registration? This cannot be undone.",
    ),
    ProtectedUntil => ("保护期至", "Protected until"),
    DaysLeft => ("天后到期", "days of protection left"),
    LastDay => ("今天是保护期的最后一天", "Today is the last day of protection"),
    EndedOn => ("保护期结束于", "Protection ended on"),
    Reason => ("原因", "Reason"),
    WithdrawnNote => ("您已撤回这次报备。", "You withdrew this registration."),
    KeepLink => (
        "请收藏本页：这是查看该报备的唯一入口。任何拿到此链接的人都能查看其进度并撤回，请勿转发。",
        "Bookmark this page: it is the only way back to this registration. Anyone with the link can see its status and withdraw it, so keep it private.",
    ),
    Another => ("再报备一个商机", "Register another deal"),
    NotFoundTitle => ("找不到该报备", "No registration found"),
    NotFoundBody => (
        "此链接不对应任何报备。请检查链接是否完整。",
        "This link does not lead to a registration. Check that it is complete.",
    ),
    Unavailable => (
        "服务暂时不可用，请稍后刷新重试。",
        "The service is unavailable for a moment. Reload the page to try again.",
    ),
    Language => ("语言", "Language"),
}

/// Renders the page `req` asks for. Never fails: a storage error is a 503 page.
pub async fn handle(rt: &dyn Runtime, req: &Request, now: DateTime<Utc>) -> Response {
    let lang = req
        .query
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::from_tag(v))
        .unwrap_or_else(|| req.language());
    if !matches!(req.method, Some(Method::Get | Method::Head)) {
        return page(405, lang, T::FormTitle, String::new()).with_header("allow", "GET, HEAD");
    }
    let today = now.date_naive();
    let reference = req
        .path
        .strip_prefix("/register")
        .unwrap_or_default()
        .trim_matches('/');
    let mut response = if reference.is_empty() {
        form_page(lang, today)
    } else {
        match status_by_reference(rt.db(), reference).await {
            Ok(Some(view)) => page(200, lang, T::StatusTitle, status(lang, &view, today)),
            Ok(None) => page(404, lang, T::NotFoundTitle, not_found(lang)),
            Err(e) => {
                rt.log_error(&format!("status page: {e:?}"));
                page(
                    503,
                    lang,
                    T::StatusTitle,
                    paragraph(T::Unavailable.get(lang)),
                )
            }
        }
    };
    if req.method == Some(Method::Head) {
        response.body.clear();
    }
    response
}

/// `/register` in `lang` on `today` (also what `make size` weighs).
pub fn form_page(lang: Lang, today: NaiveDate) -> Response {
    page(200, lang, T::FormTitle, form(lang, today))
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// The frame of every public page: language, title, the one stylesheet and
/// script, the language switch.
fn page(status: u16, lang: Lang, title: T, main: String) -> Response {
    let switch = Lang::ALL
        .iter()
        .map(|l| {
            let label = match l {
                Lang::ZhCn => "中文",
                Lang::En => "EN",
            };
            let current = if *l == lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"?lang={tag}\" hreflang=\"{tag}\" lang=\"{tag}\"{current}>{label}</a>",
                tag = l.tag()
            )
        })
        .collect::<String>();
    let html = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><meta name=\"theme-color\" content=\"#1f4e79\">\
         <title>{title} · Dealgate</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"{ASSET_DIR}register.css\">\
         <script type=\"module\" src=\"{ASSET_DIR}register.js\"></script></head>\
         <body><header class=\"bar\"><span class=\"brand\"><span aria-hidden=\"true\">◆</span> Dealgate</span>\
         <nav class=\"langs\" aria-label=\"{language}\">{switch}</nav></header>\
         <main id=\"main\">{main}</main></body></html>",
        tag = lang.tag(),
        title = escape(title.get(lang)),
        language = escape(T::Language.get(lang)),
    );
    let mut response = Response {
        status,
        headers: Vec::new(),
        body: html.into_bytes(),
        stream: None,
    };
    for (name, value) in PAGE_HEADERS {
        response = response.with_header(name, value);
    }
    response
}

/// One input of the form: its label, the input itself, an optional hint
/// and the place its error appears (filled by the script, or after a 422).
struct Field {
    name: &'static str,
    label: T,
    /// `type`, `autocomplete`, `inputmode`, … as written in the tag.
    attrs: String,
    required: bool,
    hint: Option<T>,
}

impl Field {
    fn new(name: &'static str, label: T, attrs: &str) -> Field {
        Field {
            name,
            label,
            attrs: attrs.to_string(),
            required: true,
            hint: None,
        }
    }

    fn render(&self, lang: Lang) -> String {
        let name = self.name;
        let hint = self
            .hint
            .map(|h| {
                format!(
                    "<p class=\"hint\" id=\"{name}-hint\">{}</p>",
                    escape(h.get(lang))
                )
            })
            .unwrap_or_default();
        let described = if self.hint.is_some() {
            format!("{name}-hint {name}-error")
        } else {
            format!("{name}-error")
        };
        let required = if self.required { " required" } else { "" };
        let mark = if self.required {
            "<span class=\"req\" aria-hidden=\"true\"> *</span>"
        } else {
            ""
        };
        let control = if self.attrs.starts_with("textarea") {
            format!(
                "<textarea id=\"{name}\" name=\"{name}\" aria-describedby=\"{described}\"{} rows=\"4\"{required}></textarea>",
                &self.attrs["textarea".len()..]
            )
        } else {
            format!(
                "<input id=\"{name}\" name=\"{name}\" aria-describedby=\"{described}\" {}{required}>",
                self.attrs
            )
        };
        format!(
            "<div class=\"field\" data-field=\"{name}\"><label for=\"{name}\">{}{mark}</label>{control}{hint}\
             <p class=\"error\" id=\"{name}-error\" data-test=\"error-{name}\"></p></div>",
            escape(self.label.get(lang))
        )
    }
}

/// `/register`: the form. `novalidate`: the script shows the shared
/// rules' own messages, in the page's language, beside each input.
fn form(lang: Lang, today: NaiveDate) -> String {
    let name = format!("type=\"text\" maxlength=\"{MAX_NAME}\"");
    let partner = [
        Field::new(
            "partner_company",
            T::PartnerCompany,
            &format!("{name} autocomplete=\"organization\""),
        ),
        Field::new(
            "partner_contact",
            T::PartnerContact,
            &format!("{name} autocomplete=\"name\""),
        ),
        Field::new(
            "partner_email",
            T::PartnerEmail,
            "type=\"email\" maxlength=\"254\" autocomplete=\"email\" inputmode=\"email\"",
        ),
        Field::new(
            "partner_phone",
            T::PartnerPhone,
            "type=\"tel\" maxlength=\"32\" autocomplete=\"tel\"",
        ),
    ];
    let deal = [
        Field::new(
            "customer_company",
            T::CustomerCompany,
            &format!("{name} autocomplete=\"off\""),
        ),
        Field::new(
            "project_title",
            T::ProjectTitle,
            &format!("{name} autocomplete=\"off\""),
        ),
        Field {
            required: false,
            ..Field::new(
                "description",
                T::Description,
                &format!("textarea maxlength=\"{MAX_DESCRIPTION}\""),
            )
        },
        Field {
            hint: Some(T::AmountHint),
            ..Field::new(
                "amount",
                T::Amount,
                "type=\"text\" inputmode=\"decimal\" autocomplete=\"off\"",
            )
        },
        Field::new(
            "expected_close",
            T::ExpectedClose,
            &format!("type=\"date\" min=\"{today}\""),
        ),
    ];
    let fields = |list: &[Field]| list.iter().map(|f| f.render(lang)).collect::<String>();
    let t = |k: T| escape(k.get(lang));
    format!(
        "<h1>{title}</h1><p class=\"lede\">{intro}</p>\
         <form id=\"registration\" class=\"card\" novalidate data-lang=\"{tag}\" \
         data-sending=\"{sending}\" data-fix=\"{fix}\" data-network=\"{network}\">\
         <p id=\"form-status\" class=\"form-status\" role=\"alert\" data-test=\"form-status\"></p>\
         <fieldset><legend>{yours}</legend>{partner}</fieldset>\
         <fieldset><legend>{deal_legend}</legend>{deal}</fieldset>\
         <div class=\"hp\" aria-hidden=\"true\"><label for=\"website\">{honeypot}</label>\
         <input id=\"website\" name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>\
         <button type=\"submit\" id=\"submit\" data-test=\"submit\">{submit}</button>\
         <p class=\"fine\">{privacy}</p></form>\
         <noscript><p class=\"form-status\">{noscript}</p></noscript>",
        title = t(T::FormTitle),
        intro = t(T::FormIntro),
        tag = lang.tag(),
        sending = t(T::Sending),
        fix = t(T::FixErrors),
        network = t(T::Network),
        yours = t(T::YourCompany),
        partner = fields(&partner),
        deal_legend = t(T::TheDeal),
        deal = fields(&deal),
        honeypot = t(T::Honeypot),
        submit = t(T::Submit),
        privacy = t(T::Privacy),
        noscript = t(T::NeedsScript),
    )
}

/// The label of a status, and its class and `data-status`.
fn status_label(status: RegistrationStatus) -> (T, &'static str) {
    let label = match status {
        RegistrationStatus::Submitted => T::Submitted,
        RegistrationStatus::Approved => T::Approved,
        RegistrationStatus::Rejected => T::Rejected,
        RegistrationStatus::Expired => T::Expired,
        RegistrationStatus::Withdrawn => T::Withdrawn,
    };
    (label, status.as_str())
}

/// Whole days from `today` to the last protected day (0 on that day).
pub fn days_left(until: NaiveDate, today: NaiveDate) -> i64 {
    (until - today).num_days().max(0)
}

/// `/register/{reference}`: the status, and what the partner can do now.
fn status(lang: Lang, view: &RegistrationStatusView, today: NaiveDate) -> String {
    let t = |k: T| escape(k.get(lang));
    let (label, class) = status_label(view.status);
    let detail = match (view.status, view.protected_until) {
        (RegistrationStatus::Submitted, _) => format!(
            "<p>{}</p><button type=\"button\" id=\"withdraw\" class=\"secondary\" data-test=\"withdraw\" \
             data-confirm=\"{}\" data-network=\"{}\">{}</button>\
             <p id=\"withdraw-error\" class=\"form-status\" role=\"alert\"></p>",
            t(T::ReviewSoon),
            t(T::ConfirmWithdraw),
            t(T::Network),
            t(T::Withdraw),
        ),
        (RegistrationStatus::Approved, Some(until)) => {
            let left = days_left(until, today);
            let countdown = if left == 0 {
                t(T::LastDay)
            } else {
                format!("<strong>{left}</strong> {}", t(T::DaysLeft))
            };
            format!(
                "<p>{} <time datetime=\"{until}\" data-test=\"protected-until\">{until}</time></p>\
                 <p class=\"countdown\" data-test=\"countdown\" data-days=\"{left}\">{countdown}</p>",
                t(T::ProtectedUntil)
            )
        }
        (RegistrationStatus::Expired, Some(until)) => format!(
            "<p>{} <time datetime=\"{until}\">{until}</time></p>",
            t(T::EndedOn)
        ),
        (RegistrationStatus::Rejected, _) => format!(
            "<p>{}:</p><blockquote data-test=\"reason\">{}</blockquote>",
            t(T::Reason),
            escape(view.reason.as_deref().unwrap_or_default())
        ),
        (RegistrationStatus::Withdrawn, _) => format!("<p>{}</p>", t(T::WithdrawnNote)),
        (_, None) => String::new(),
    };
    format!(
        "<h1>{title}</h1><section class=\"card\">\
         <p class=\"status status-{class}\" data-test=\"registration-status\" data-status=\"{class}\">{label}</p>\
         <p class=\"meta\">{submitted_on} <time datetime=\"{at}\">{date}</time></p>{detail}</section>\
         <p class=\"fine\">{keep}</p><p><a href=\"/register?lang={tag}\">{another}</a></p>",
        title = t(T::StatusTitle),
        label = t(label),
        submitted_on = t(T::SubmittedOn),
        at = view.submitted_at.to_rfc3339(),
        date = view.submitted_at.format("%Y-%m-%d"),
        keep = t(T::KeepLink),
        tag = lang.tag(),
        another = t(T::Another),
    )
}

fn not_found(lang: Lang) -> String {
    format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/register?lang={}\">{}</a></p>",
        escape(T::NotFoundTitle.get(lang)),
        escape(T::NotFoundBody.get(lang)),
        lang.tag(),
        escape(T::Another.get(lang)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_written_in_both_languages() {
        for t in T::ALL {
            for lang in Lang::ALL {
                assert!(!t.get(lang).trim().is_empty(), "{t:?} {lang:?}");
            }
        }
    }

    #[test]
    fn markup_in_what_people_typed_is_shown_as_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn the_countdown_reaches_zero_on_the_last_protected_day() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        assert_eq!(days_left(d(3, 1), d(1, 30)), 30);
        assert_eq!(days_left(d(3, 1), d(3, 1)), 0);
        assert_eq!(days_left(d(3, 1), d(3, 9)), 0);
    }

    #[test]
    fn only_the_two_public_pages_are_rendered_here() {
        assert!(is_page_path("/register"));
        assert!(is_page_path("/register/abc"));
        assert!(!is_page_path("/registrations"));
        assert!(!is_page_path("/registerx"));
    }
}
