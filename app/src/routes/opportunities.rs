//! `/opportunities`: every deal the user may see, with filters (pipeline,
//! stage, grade, status, owner for managers), search on name and customer,
//! a sort (amount, expected close, days in stage, grade) and "load more";
//! all of it in the address, so a link or Back restores the list.

use crate::api::{self, ApiError};
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{
    GradeBadge, loc, money, person, pipeline_options, sells, status_label, user_name,
};
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ConfigNames, UserSummary};
use shared::{Grade, OpportunityRow};
use std::sync::Arc;

#[derive(Clone, Default, PartialEq)]
struct Filters {
    pipeline: String,
    stage: String,
    grade: String,
    status: String,
    owner: String,
    /// `amount`, `close`, `days`, `grade`, `-` first for descending; empty:
    /// newest first.
    sort: String,
    q: String,
    /// What a report's bar or cell narrowed the list to (`blocked_kind`,
    /// `blocked_key`, `stalled`, `close_month`, `forecast`), kept as given.
    linked: Vec<(&'static str, String)>,
}

/// The list filters only a report's links set.
const LINKED: [&str; 5] = [
    "blocked_kind",
    "blocked_key",
    "stalled",
    "close_month",
    "forecast",
];

impl Filters {
    /// The filters a link or Back restores: `status` absent is the open
    /// deals, `status=all` every status.
    fn from_url(get: impl Fn(&str) -> Option<String>) -> Filters {
        let status = match get("status") {
            None => "open".to_string(),
            Some(s) if s == "all" => String::new(),
            Some(s) => s,
        };
        Filters {
            pipeline: get("pipeline").unwrap_or_default(),
            stage: get("stage").unwrap_or_default(),
            grade: get("grade").unwrap_or_default(),
            status,
            owner: get("owner").unwrap_or_default(),
            sort: get("sort").unwrap_or_default(),
            q: get("q").unwrap_or_default(),
            linked: LINKED
                .iter()
                .filter_map(|k| get(k).map(|v| (*k, v)))
                .collect(),
        }
    }

    /// The query pairs of the report's filters.
    fn linked_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.linked.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// This page's address with these filters.
    fn url(&self) -> String {
        let status = match self.status.as_str() {
            "" => "all",
            "open" => "",
            s => s,
        };
        let mut pairs = vec![
            ("pipeline", self.pipeline.as_str()),
            ("stage", &self.stage),
            ("grade", &self.grade),
            ("status", status),
            ("owner", &self.owner),
            ("sort", &self.sort),
            ("q", &self.q),
        ];
        pairs.extend(self.linked_pairs());
        format!("/opportunities{}", api::query(&pairs))
    }

    fn query(&self, cursor: &str) -> String {
        let mut pairs = vec![
            ("pipeline", self.pipeline.as_str()),
            ("stage", &self.stage),
            ("grade", &self.grade),
            ("status", &self.status),
            ("owner", &self.owner),
            ("sort", &self.sort),
            ("q", &self.q),
            ("cursor", cursor),
        ];
        pairs.extend(self.linked_pairs());
        api::query(&pairs)
    }
}

/// `query` asking for `n` rows (from the address) when there is an `n`.
pub fn with_shown(query: String, n: Option<String>) -> String {
    match n.and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => {
            let sep = if query.is_empty() { '?' } else { '&' };
            format!("{query}{sep}limit={}", n.clamp(1, 200))
        }
        None => query,
    }
}

/// `url` saying that `n` rows are shown.
pub fn shown_url(url: &str, n: usize) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}n={n}")
}

/// A navigation that replaces the address without scrolling (a list's
/// `n` after "load more").
pub fn quiet() -> crate::router::NavigateOptions {
    crate::router::NavigateOptions {
        replace: true,
        scroll: false,
    }
}

#[derive(Clone)]
struct ListData {
    config: Arc<ConfigNames>,
    users: Arc<Vec<UserSummary>>,
    items: Vec<OpportunityRow>,
    next: Option<String>,
}

/// The first page's query for the address's filters and shown rows (`n`).
fn first_query(f: &Filters, n: Option<String>) -> String {
    // As many rows as were shown when the address was left (`n`), so
    // Back restores the list as it was (at most a page of 200).
    with_shown(f.query(""), n)
}

/// Starts the list's first read from the address (the route's `data()`).
pub fn read_ahead() {
    let q = crate::router::use_query_map().get_untracked();
    let query = first_query(&Filters::from_url(|k| q.get(k)), q.get("n"));
    api::prefetch(api::rows_path(&query));
    // The rows name their owners: the list waits for the users to paint.
    api::users_ahead();
}

/// The page's heading: the outlet shows it too while the page's code
/// arrives (`routes::Outlet`).
pub const HEADING: Msg = Msg::NavOpportunities;

#[component]
pub fn Opportunities() -> impl IntoView {
    // The filters need the pipelines' stages: the config's names first
    // (cached; the list reads no more of the config).
    let (state, reload) = load(api::config_names);
    let list = |config: Arc<ConfigNames>| view! { <List config /> };
    let i18n = use_i18n();
    // The heading does not wait for the config: it is where the outlet's
    // opening view (routes::Outlet) put it on a first load.
    view! {
        <section class="page opportunities">
            <h1>{i18n.t(HEADING)}</h1>
            <Fetched state reload view=list />
        </section>
    }
}

#[component]
fn List(config: Arc<ConfigNames>) -> impl IntoView {
    let i18n = use_i18n();
    // The filters live in the URL: a shared link and Back restore them.
    let url = crate::router::use_query_map();
    let from_url = move || url.with(|q| Filters::from_url(|k| q.get(k)));
    let filters = RwSignal::new(from_url());
    let navigate = crate::router::use_navigate();
    let (state, reload) = load(move || {
        let f = filters.get_untracked();
        let query = first_query(&f, url.with_untracked(|q| q.get("n")));
        async move {
            let config = api::config_names().await?;
            let users = api::users().await?;
            let page = api::opportunity_rows(&query).await?;
            Ok(ListData {
                config,
                users,
                items: page.items,
                next: page.next_cursor,
            })
        }
    });
    // A new address for every change of the filters; the list follows the
    // address (so Back and forward reload it too).
    Effect::new(move |before: Option<Filters>| {
        let now = from_url();
        // A new `n` alone (rows loaded) is no new list.
        if before.is_some_and(|b| b != now) {
            filters.set(now.clone());
            reload.run(());
        }
        now
    });
    let show = move || {
        let url = filters.with_untracked(Filters::url);
        navigate(&url, Default::default());
    };
    let set = {
        let show = show.clone();
        move |apply: fn(&mut Filters, String)| {
            let show = show.clone();
            move |ev: leptos::ev::Event| {
                filters.update(|f| apply(f, event_target_value(&ev)));
                show();
            }
        }
    };
    // A header's sort: ascending first, then descending; the address keeps it.
    let sort_by = {
        let show = show.clone();
        Callback::new(move |key: &'static str| {
            filters.update(|f| {
                f.sort = if f.sort == key {
                    format!("-{key}")
                } else {
                    key.to_string()
                }
            });
            show();
        })
    };
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        show();
    };
    // The selects show the filters (set after their options exist).
    let pipeline_select = NodeRef::<leptos::html::Select>::new();
    let grade_select = NodeRef::<leptos::html::Select>::new();
    let status_select = NodeRef::<leptos::html::Select>::new();
    let stage_select = NodeRef::<leptos::html::Select>::new();
    let owner_select = NodeRef::<leptos::html::Select>::new();
    // Managers filter by owner among the salespeople.
    let auth = crate::auth::use_auth();
    let is_manager = auth.has(shared::Role::Manager) || auth.has(shared::Role::Admin);
    let sellers = RwSignal::new(Vec::<UserSummary>::new());
    if is_manager {
        spawn_local(async move {
            if let Ok(users) = api::users().await {
                sellers.set(users.iter().filter(|u| sells(u)).cloned().collect());
            }
        });
    }
    Effect::new(move |_| {
        let f = filters.get();
        sellers.track();
        for (node, value) in [
            (pipeline_select, f.pipeline.clone()),
            (stage_select, f.stage.clone()),
            (grade_select, f.grade.clone()),
            (status_select, f.status.clone()),
            (owner_select, f.owner.clone()),
        ] {
            if let Some(select) = node.get() {
                select.set_value(&value);
            }
        }
    });
    let table = move |data: ListData| view! { <Table data filters sort_by /> };
    let pipelines = pipeline_options(i18n, &config.pipelines);
    // The chosen pipeline's stages (verification lives on leads).
    let stage_options = move || {
        let chosen = filters.with(|f| f.pipeline.clone());
        config
            .pipelines
            .iter()
            .filter(|p| p.id.as_str() == chosen)
            .flat_map(|p| p.stages.iter().skip(1))
            .map(|s| view! { <option value=s.key.to_string()>{loc(i18n, &s.name)}</option> })
            .collect_view()
    };
    view! {
            <form class="filters" on:submit=search role="search" data-test="filters">
                <input type="search" name="q" placeholder=i18n.t(Msg::SearchDeals) aria-label=i18n.t(Msg::SearchDeals)
                    prop:value=move || filters.with(|f| f.q.clone())
                    on:input=move |ev| filters.update(|f| f.q = event_target_value(&ev)) />
                <select aria-label=i18n.t(Msg::Pipeline) name="pipeline" node_ref=pipeline_select
                    on:change=set(|f, v| { f.pipeline = v; f.stage.clear(); })>
                    <option value="">{i18n.t(Msg::AllPipelines)}</option>
                    {pipelines}
                </select>
                <select aria-label=i18n.t(Msg::Stage) name="stage" data-test="stage-filter" node_ref=stage_select
                    disabled=move || filters.with(|f| f.pipeline.is_empty())
                    prop:value=move || filters.with(|f| f.stage.clone())
                    on:change=set(|f, v| f.stage = v)>
                    <option value="">{i18n.t(Msg::AllStages)}</option>
                    {stage_options}
                </select>
                <select aria-label=i18n.t(Msg::Grade) name="grade" node_ref=grade_select on:change=set(|f, v| f.grade = v)>
                    <option value="">{i18n.t(Msg::AllGrades)}</option>
                    {Grade::ALL.map(|g| view! { <option value=g.as_str()>{g.as_str()}</option> }).collect_view()}
                </select>
                <select aria-label=i18n.t(Msg::Status) name="status" node_ref=status_select on:change=set(|f, v| f.status = v)>
                    <option value="open">{i18n.t(Msg::StatusOpen)}</option>
                    <option value="won">{i18n.t(Msg::StatusWon)}</option>
                    <option value="lost">{i18n.t(Msg::StatusLost)}</option>
                    <option value="">{i18n.t(Msg::AllStatuses)}</option>
                </select>
                {is_manager.then(|| view! {
                    <select aria-label=i18n.t(Msg::Owner) name="owner" data-test="owner-filter" node_ref=owner_select
                        on:change=set(|f, v| f.owner = v)>
                        <option value="">{i18n.t(Msg::AllOwners)}</option>
                        {move || sellers.get().into_iter().map(|u| view! { <option value=u.id.clone()>{person(&u)}</option> }).collect_view()}
                    </select>
                })}
                <button type="submit">{i18n.t(Msg::Search)}</button>
            </form>
            {move || filters.with(|f| (!f.linked.is_empty()).then(|| {
                let text = f.linked.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" · ");
                view! {
                    <p class="notice" data-test="report-filter">{i18n.t(Msg::FromReport)}": "{text}" "
                        <button type="button" aria-label=i18n.t(Msg::ClearReportFilter) data-test="clear-report-filter"
                            on:click=move |_| filters.update(|f| f.linked.clear())>"×"</button></p>
                }
            }))}
            <Fetched state reload view=table />
    }
}

#[component]
fn Table(
    data: ListData,
    filters: RwSignal<Filters>,
    sort_by: Callback<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ListData {
        config,
        users,
        items,
        next,
    } = data;
    let rows = RwSignal::new(items);
    request_animation_frame(crate::routes::prefetch_deal_page);
    let next = RwSignal::new(next);
    let more_error = RwSignal::new(None::<ApiError>);
    let navigate = crate::router::use_navigate();
    let more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        let q = filters.with_untracked(|f| f.query(&cursor));
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::opportunity_rows(&q).await {
                Ok(page) => {
                    rows.update(|r| r.extend(page.items));
                    next.set(page.next_cursor);
                    // The address says how many rows are shown.
                    let n = rows.try_with_untracked(Vec::len).unwrap_or(0);
                    let here = filters.try_with_untracked(Filters::url).unwrap_or_default();
                    navigate(&shown_url(&here, n), quiet());
                }
                Err(e) => more_error.set(Some(e)),
            }
        });
    };
    let stage_name = move |o: &OpportunityRow| {
        config
            .pipelines
            .iter()
            .find(|p| p.id == o.pipeline)
            .and_then(|p| p.stage(o.stage.as_str()))
            .map_or_else(|| o.stage.to_string(), |s| loc(i18n, &s.name))
    };
    let today = crate::components::ui::now();
    // A header that sorts by its column, saying how it is sorted now.
    let sortable = move |key: &'static str, label: Msg, class: &'static str| {
        let state = move || {
            filters.with(|f| {
                if f.sort == key {
                    "ascending"
                } else if f.sort.strip_prefix('-') == Some(key) {
                    "descending"
                } else {
                    "none"
                }
            })
        };
        view! {
            <th class=class aria-sort=state>
                <button type="button" class="sort" data-test=format!("sort-{key}") on:click=move |_| sort_by.run(key)>
                    {i18n.t(label)}
                    <span aria-hidden="true">{move || match state() { "ascending" => " ▲", "descending" => " ▼", _ => "" }}</span>
                </button>
            </th>
        }
    };
    let body = move || {
        if rows.with(|r| !r.is_empty()) {
            crate::components::mark_painted("list-painted");
        }
        rows.with(|rows| {
            rows.iter()
                .map(|o| {
                    view! {
                        <tr data-test="deal-row">
                            <td><a href=format!("/opportunities/{}", o.id)>{o.name.clone()}</a></td>
                            <td data-label=i18n.t(Msg::Customer)>{o.customer.clone()}</td>
                            <td data-label=i18n.t(Msg::Stage)>{stage_name(o)}</td>
                            <td data-label=i18n.t(Msg::Grade)><GradeBadge grade=o.grade /></td>
                            <td class="num" data-label=i18n.t(Msg::Amount)>{money(o.amount, o.currency)}</td>
                            <td data-test="close" data-label=i18n.t(Msg::ExpectedClose)>{o.expected_close.to_string()}</td>
                            <td class="num" data-test="days" data-label=i18n.t(Msg::DaysInStageShort)>{if o.is_open() { o.days_in_stage(today).to_string() } else { String::new() }}</td>
                            <td data-label=i18n.t(Msg::Owner)>{user_name(&users, &o.owner_id)}</td>
                            <td data-label=i18n.t(Msg::Status)>{status_label(i18n, o.status)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        {move || rows.with(Vec::is_empty).then(|| view! { <p class="empty" data-test="empty">{i18n.t(Msg::NoDeals)}</p> })}
        <div class="table-wrap">
            <table class="list">
                <thead><tr>
                    <th>{i18n.t(Msg::DealName)}</th><th>{i18n.t(Msg::Customer)}</th><th>{i18n.t(Msg::Stage)}</th>
                    {sortable("grade", Msg::Grade, "")}{sortable("amount", Msg::Amount, "num")}
                    {sortable("close", Msg::ExpectedClose, "")}{sortable("days", Msg::DaysInStageShort, "num")}
                    <th>{i18n.t(Msg::Owner)}</th><th>{i18n.t(Msg::Status)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        {move || next.with(Option::is_some).then(|| view! {
            <button type="button" class="more" on:click=more.clone()>{i18n.t(Msg::LoadMore)}</button>
        })}
        {move || more_error.get().map(|e| view! { <p class="form-error" role="alert">{crate::components::error::describe(i18n, &e)}</p> })}
    }
}
