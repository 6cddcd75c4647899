//! The page's glue: read the inputs, show each problem beside its input
//! (`aria-invalid`, the `…-error` paragraph), send the form as JSON, follow
//! the status link; withdraw on the status page. Texts the script shows
//! come from the page itself (`data-*`, rendered by the Worker in the
//! page's language) or from the shared rules' own messages.

use crate::{FIELDS, check};
use shared::Lang;
use shared::money::Currency;
use shared::validate::FieldIssue;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Document, Element, Event, HtmlElement, RequestInit};

#[wasm_bindgen(start)]
pub fn start() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(form) = doc.get_element_by_id("registration") {
        enhance_form(doc.clone(), form);
    }
    if let Some(button) = doc.get_element_by_id("withdraw") {
        enhance_withdraw(button);
    }
    // The checks are live (tests wait for this before typing).
    if let Some(root) = doc.document_element() {
        let _ = root.set_attribute("data-ready", "true");
    }
}

/// The page's language (`<html lang>`, which the Worker chose).
fn lang(doc: &Document) -> Lang {
    doc.document_element()
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|t| Lang::from_tag(&t))
        .unwrap_or_default()
}

fn value(doc: &Document, name: &str) -> String {
    doc.get_element_by_id(name)
        .and_then(|e| js_sys::Reflect::get(&e, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Today in the partner's own calendar (the server checks again in its own).
fn today() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}

fn listen(target: &Element, event: &str, f: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    // The page lives as long as its listeners.
    closure.forget();
}

/// Which inputs show their problems: those the partner has left, and all
/// of them once they tried to send.
#[derive(Default)]
struct Shown {
    touched: HashSet<String>,
    all: bool,
}

fn enhance_form(doc: Document, form: Element) {
    let shown = Rc::new(RefCell::new(Shown::default()));
    let lang = lang(&doc);
    let refresh = {
        let doc = doc.clone();
        let shown = shown.clone();
        move || {
            let issues = check(|n| value(&doc, n), today(), Currency::CNY).err();
            let shown = shown.borrow();
            show(&doc, lang, issues.as_deref().unwrap_or_default(), |f| {
                shown.all || shown.touched.contains(f)
            });
        }
    };
    // Leaving an input shows its problem; typing clears it once fixed.
    listen(&form, "focusout", {
        let (shown, refresh) = (shown.clone(), refresh.clone());
        move |e| {
            if let Some(name) = target_name(&e) {
                shown.borrow_mut().touched.insert(name);
                refresh();
            }
        }
    });
    listen(&form, "input", {
        let (shown, refresh) = (shown.clone(), refresh.clone());
        move |e| {
            let shown_now = target_name(&e)
                .is_some_and(|n| shown.borrow().all || shown.borrow().touched.contains(&n));
            if shown_now {
                refresh();
            }
        }
    });
    let sending = Rc::new(RefCell::new(false));
    listen(&form.clone(), "submit", move |e| {
        e.prevent_default();
        if *sending.borrow() {
            return;
        }
        shown.borrow_mut().all = true;
        match check(|n| value(&doc, n), today(), Currency::CNY) {
            Err(issues) => {
                show(&doc, lang, &issues, |_| true);
                status(&doc, "form-status", &data(&form, "fix"));
                focus_first(&doc, &issues);
            }
            Ok(registration) => {
                *sending.borrow_mut() = true;
                let (doc, form, sending) = (doc.clone(), form.clone(), sending.clone());
                spawn_local(async move {
                    submit(&doc, &form, lang, &registration).await;
                    *sending.borrow_mut() = false;
                });
            }
        }
    });
}

fn target_name(e: &Event) -> Option<String> {
    let el: Element = e.target()?.dyn_into().ok()?;
    let name = el.get_attribute("name")?;
    FIELDS.contains(&name.as_str()).then_some(name)
}

fn data(el: &Element, key: &str) -> String {
    el.get_attribute(&format!("data-{key}")).unwrap_or_default()
}

fn status(doc: &Document, id: &str, text: &str) {
    if let Some(p) = doc.get_element_by_id(id) {
        p.set_text_content(Some(text));
    }
}

/// Every input's problem (or none), where `visible` says to show it.
fn show(doc: &Document, lang: Lang, issues: &[FieldIssue], visible: impl Fn(&str) -> bool) {
    for field in FIELDS {
        let message = issues
            .iter()
            .find(|i| i.field == field && visible(field))
            .map(|i| i.message.get(lang).to_string());
        if let Some(input) = doc.get_element_by_id(field) {
            let _ = match message {
                Some(_) => input.set_attribute("aria-invalid", "true"),
                None => input.remove_attribute("aria-invalid"),
            };
        }
        status(
            doc,
            &format!("{field}-error"),
            message.as_deref().unwrap_or(""),
        );
    }
    if issues.is_empty() {
        status(doc, "form-status", "");
    }
}

fn focus_first(doc: &Document, issues: &[FieldIssue]) {
    if let Some(input) = issues
        .first()
        .and_then(|i| doc.get_element_by_id(&i.field))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = input.focus();
    }
}

/// A problem+json answer, as much of it as the page shows. Read through
/// the browser's own JSON (serde_json's reader would double this wasm).
#[derive(Default)]
struct Problem {
    /// `detail`, else `title`.
    message: String,
    errors: Vec<FieldIssue>,
}

fn text_at(obj: &JsValue, key: &str) -> String {
    js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn parse_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

impl Problem {
    fn read(text: &str) -> Problem {
        let body = parse_json(text);
        if !body.is_object() {
            return Problem::default();
        }
        let detail = text_at(&body, "detail");
        let errors = js_sys::Reflect::get(&body, &JsValue::from_str("errors"))
            .ok()
            .filter(|e| e.is_object())
            .map(|e| js_sys::Array::from(&e))
            .map(|list| {
                list.iter()
                    .map(|e| {
                        let message = text_at(&e, "message");
                        FieldIssue::new(
                            &text_at(&e, "field"),
                            &text_at(&e, "code"),
                            &message,
                            &message,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Problem {
            message: if detail.is_empty() {
                text_at(&body, "title")
            } else {
                detail
            },
            errors,
        }
    }
}

/// POSTs JSON in the page's language: the status and the body, or `None`
/// when the server could not be reached.
async fn post(url: &str, body: &str, lang: Lang) -> Option<(u16, String)> {
    let window = web_sys::window()?;
    let headers = web_sys::Headers::new().ok()?;
    headers.set("content-type", "application/json").ok()?;
    headers.set("accept-language", lang.tag()).ok()?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let text = JsFuture::from(response.text().ok()?).await.ok()?;
    Some((response.status(), text.as_string().unwrap_or_default()))
}

async fn submit(
    doc: &Document,
    form: &Element,
    lang: Lang,
    registration: &shared::registration::RegistrationForm,
) {
    let button = doc.get_element_by_id("submit");
    let label = button.as_ref().and_then(|b| b.text_content());
    if let Some(b) = &button {
        let _ = b.set_attribute("disabled", "");
        b.set_text_content(Some(&data(form, "sending")));
    }
    status(doc, "form-status", "");
    let body = serde_json::to_string(registration).unwrap_or_default();
    let answer = post("/api/public/registrations", &body, lang).await;
    if let (Some((201, text)), Some(window)) = (&answer, web_sys::window()) {
        let status_url = text_at(&parse_json(text), "status_url");
        if status_url.starts_with("/register/") {
            // The status page is the receipt: keep the button disabled.
            let _ = window.location().assign(&status_url);
            return;
        }
    }
    if let Some(b) = &button {
        let _ = b.remove_attribute("disabled");
        b.set_text_content(label.as_deref());
    }
    match answer {
        None => status(doc, "form-status", &data(form, "network")),
        Some((_, text)) => {
            let problem = Problem::read(&text);
            if problem.errors.is_empty() {
                let message = if problem.message.is_empty() {
                    data(form, "network")
                } else {
                    problem.message
                };
                status(doc, "form-status", &message);
            } else {
                // The server's own words, already in the page's language.
                let issues = problem.errors;
                show(doc, lang, &issues, |_| true);
                status(doc, "form-status", &data(form, "fix"));
                focus_first(doc, &issues);
            }
        }
    }
}

/// The status page's button: asks first, then withdraws and shows the new
/// status (or says why not).
fn enhance_withdraw(button: Element) {
    let lang = web_sys::window()
        .and_then(|w| w.document())
        .map(|d| lang(&d))
        .unwrap_or_default();
    listen(&button.clone(), "click", move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        if !window
            .confirm_with_message(&data(&button, "confirm"))
            .unwrap_or(false)
        {
            return;
        }
        let button = button.clone();
        spawn_local(async move {
            let path = window.location().pathname().unwrap_or_default();
            let reference = path.trim_start_matches("/register/").trim_end_matches('/');
            let url = format!("/api/public/registrations/{reference}/withdraw");
            let _ = button.set_attribute("disabled", "");
            match post(&url, "{}", lang).await {
                Some((200, _)) => {
                    let _ = window.location().reload();
                }
                answer => {
                    let _ = button.remove_attribute("disabled");
                    let message = answer
                        .map(|(_, text)| Problem::read(&text).message)
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| data(&button, "network"));
                    if let Some(doc) = window.document() {
                        status(&doc, "withdraw-error", &message);
                    }
                }
            }
        });
    });
}
