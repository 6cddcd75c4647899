//! `/reports`: what a sales director takes upward, for the filter in the
//! address (pipeline, owner for managers, grade, period): the funnel, the
//! forecast by month stacked by category, each owner's commit against
//! their weighted pipeline, stage aging, conversion and win rates, the gate
//! debt as a stage × kind heat table, lost reasons and competitors. Every
//! chart is a small SVG of our own with its numbers in a table beside it;
//! every bar, segment and cell opens the deal list filtered to exactly
//! those deals. It lives in the users page's chunk (routes/mod.rs says why).

use super::admin_config::{back_office_page, use_tx};
use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{loc, user_name};
use crate::i18n::{AdminMsg, Msg, use_i18n};
use crate::router::{use_navigate, use_query_map};
use leptos::prelude::*;
use shared::api::{Config, UserSummary};
use shared::forecast::ForecastCategory;
use shared::gate::BlockerKind;
use shared::money::Money;
use shared::report::{PipelineReport, WinRate, kind_name};
use shared::user::Role;
use std::sync::Arc;

/// The report's filters, as the address holds them.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    pipeline: String,
    owner: String,
    grade: String,
    from: String,
    to: String,
}

impl Filters {
    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("pipeline", &self.pipeline),
            ("owner", &self.owner),
            ("grade", &self.grade),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }

    /// The deal list of `extra` under this filter's pipeline, owner and grade.
    fn list(&self, pipeline: &str, extra: &[(&str, &str)]) -> String {
        let mut params = vec![
            ("pipeline", pipeline),
            ("owner", self.owner.as_str()),
            ("grade", self.grade.as_str()),
        ];
        params.extend_from_slice(extra);
        format!("/opportunities{}", api::query(&params))
    }
}

#[derive(Clone)]
struct Base {
    config: Arc<Config>,
    users: Arc<Vec<UserSummary>>,
}

#[component]
pub fn Reports() -> impl IntoView {
    back_office_page(&Role::SALES, Msg::SalesOnly, || {
        view! { <ReportsPage /> }.into_any()
    })
}

#[component]
fn ReportsPage() -> impl IntoView {
    let tx = use_tx();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| {
            let get = |k: &str| q.get(k).map(|v| v.to_string()).unwrap_or_default();
            Filters {
                pipeline: get("pipeline"),
                owner: get("owner"),
                grade: get("grade"),
                from: get("from"),
                to: get("to"),
            }
        })
    });
    let (base, reload) = load(|| async {
        let (config, users) = (api::config().await?, api::users().await?);
        Ok(Base { config, users })
    });
    let page = move |base: Base| {
        let f = filters.get();
        view! {
            <FilterBar filters=f.clone() base=base.clone() />
            <ReportView filters=f base />
        }
    };
    view! {
        <section class="page reports">
            <h1>{tx.t(AdminMsg::ReportsTitle)}</h1>
            <p class="lead">{tx.t(AdminMsg::ReportsIntro)}</p>
            <Fetched state=base reload view=page />
        </section>
    }
}

#[component]
fn FilterBar(filters: Filters, base: Base) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let navigate = use_navigate();
    let manager =
        crate::auth::use_auth().has(Role::Manager) || crate::auth::use_auth().has(Role::Admin);
    let current = StoredValue::new(filters.clone());
    let set = move |key: &'static str| {
        let navigate = navigate.clone();
        move |ev: leptos::ev::Event| {
            let mut f = current.get_value();
            let v = event_target_value(&ev);
            match key {
                "pipeline" => f.pipeline = v,
                "owner" => f.owner = v,
                "grade" => f.grade = v,
                "from" => f.from = v,
                _ => f.to = v,
            }
            navigate(
                &format!("/reports{}", api::query(&f.pairs())),
                Default::default(),
            );
        }
    };
    let pipelines = base
        .config
        .pipelines
        .iter()
        .map(|p| {
            let id = p.id.to_string();
            let chosen = id == filters.pipeline;
            view! { <option value=id selected=chosen>{loc(i18n, &p.name)}</option> }
        })
        .collect_view();
    let owners = base
        .users
        .iter()
        .filter(|u| crate::components::ui::sells(u))
        .map(|u| {
            let chosen = u.id == filters.owner;
            view! { <option value=u.id.clone() selected=chosen>{u.name.clone()}</option> }
        })
        .collect_view();
    let grades = shared::Grade::ALL
        .iter()
        .map(|g| {
            let chosen = g.as_str() == filters.grade;
            view! { <option value=g.as_str() selected=chosen>{g.as_str()}</option> }
        })
        .collect_view();
    let csv = {
        let params: Vec<(&str, &str)> = filters.pairs()[..3].to_vec();
        format!("/api/reports/opportunities.csv{}", api::query(&params))
    };
    view! {
        <form class="filters report-filters" data-test="report-filters" on:submit=|ev| ev.prevent_default()>
            <label class="field"><span>{i18n.t(Msg::Pipeline)}</span>
                <select name="pipeline" on:change=set("pipeline")>{pipelines}</select></label>
            {manager.then(|| view! {
                <label class="field"><span>{i18n.t(Msg::Owner)}</span>
                    <select name="owner" data-test="owner-filter" on:change=set("owner")>
                        <option value="">{i18n.t(Msg::AllOwners)}</option>{owners}
                    </select></label>
            })}
            <label class="field"><span>{i18n.t(Msg::Grade)}</span>
                <select name="grade" on:change=set("grade")>
                    <option value="">{i18n.t(Msg::AllGrades)}</option>{grades}
                </select></label>
            <label class="field"><span>{tx.t(AdminMsg::PeriodFrom)}</span>
                <input type="date" name="from" value=filters.from.clone() on:change=set("from") /></label>
            <label class="field"><span>{tx.t(AdminMsg::PeriodTo)}</span>
                <input type="date" name="to" value=filters.to.clone() on:change=set("to") /></label>
            <a class="button" href=csv download rel="external" data-test="download-csv">{tx.t(AdminMsg::DownloadCsv)}</a>
        </form>
    }
}

#[component]
fn ReportView(filters: Filters, base: Base) -> impl IntoView {
    let tx = use_tx();
    let bad_period =
        !filters.from.is_empty() && !filters.to.is_empty() && filters.from > filters.to;
    if bad_period {
        return view! { <p class="form-error" role="alert">{tx.t(AdminMsg::BadPeriod)}</p> }
            .into_any();
    }
    let q = api::query(&filters.pairs());
    let (state, reload) = load(move || {
        let q = q.clone();
        async move { api::get::<PipelineReport>(&format!("/api/reports/pipeline{q}")).await }
    });
    let view =
        move |r: PipelineReport| view! { <Sections r filters=filters.clone() base=base.clone() /> };
    view! { <Fetched state reload view /> }.into_any()
}

/// An amount for a chart's label: major units, grouped.
fn amount(config: &Config, minor: i64) -> String {
    crate::components::ui::money(
        Money::from_minor(minor).unwrap_or(Money::ZERO),
        config.currency,
    )
}

fn pct(rate: Option<u8>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r}%"))
}

/// Share of `max` as an SVG width out of 100 (at least a sliver when not zero).
fn width(value: i64, max: i64) -> f64 {
    if max <= 0 || value <= 0 {
        0.0
    } else {
        (value as f64 * 100.0 / max as f64).max(1.0)
    }
}

/// A bar of `share` percent (its numbers are beside it, for everyone).
#[component]
fn Bar(share: f64, inline: bool) -> impl IntoView {
    view! {
        <svg class="bar" class:inline=inline viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect x="0" y="0" width=format!("{share:.2}") height="10" />
        </svg>
    }
}

/// One horizontal bar: its label, an SVG bar scaled to `max`, its numbers;
/// the whole row links to `href`.
#[component]
fn BarRow(
    label: String,
    value: i64,
    max: i64,
    text: String,
    href: String,
    test: String,
) -> impl IntoView {
    view! {
        <a class="bar-row" href=href data-test=test>
            <span class="bar-label">{label}</span>
            <Bar share=width(value, max) inline=false />
            <span class="bar-text">{text}</span>
        </a>
    }
}

#[component]
fn Sections(r: PipelineReport, filters: Filters, base: Base) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let config = base.config.clone();
    let users = base.users.clone();
    let pipeline = config
        .pipelines
        .iter()
        .find(|p| p.id == r.pipeline)
        .cloned();
    let p = r.pipeline.to_string();
    let stage_name = {
        let pipeline = pipeline.clone();
        move |key: &str| {
            pipeline
                .as_ref()
                .and_then(|p| p.stage(key))
                .map_or_else(|| key.to_string(), |s| loc(i18n, &s.name))
        }
    };
    let money = {
        let config = config.clone();
        move |m: i64| amount(&config, m)
    };
    let open_count: u64 = r.funnel.iter().map(|s| s.count).sum();
    let open_amount: i64 = r.funnel.iter().map(|s| s.amount).sum();
    let weighted: i64 = r.funnel.iter().map(|s| s.weighted).sum();
    let closed = r.won.count + r.lost.count;
    let win_rate = shared::forecast::rate(r.won.count, closed);

    // Funnel.
    let max_amount = r.funnel.iter().map(|s| s.amount).max().unwrap_or(0);
    let funnel = r
        .funnel
        .iter()
        .map(|s| {
            let text = format!(
                "{} · {} · {} {}",
                s.count,
                money(s.amount),
                i18n.t(Msg::Weighted),
                money(s.weighted)
            );
            let href = filters.list(&p, &[("stage", s.stage.as_str())]);
            view! { <BarRow label=stage_name(s.stage.as_str()) value=s.amount max=max_amount text href test=format!("funnel-{}", s.stage) /> }
        })
        .collect_view();

    // Forecast by month, stacked by category.
    let cats = [
        (ForecastCategory::Closed, AdminMsg::CatClosed),
        (ForecastCategory::Commit, AdminMsg::CatCommit),
        (ForecastCategory::BestCase, AdminMsg::CatBestCase),
        (ForecastCategory::Pipeline, AdminMsg::CatPipeline),
    ];
    let month_label = move |m: &str| {
        if m == "overdue" {
            tx.t(AdminMsg::OverdueMonth)
        } else {
            m.to_string()
        }
    };
    let month_total =
        |m: &shared::report::ForecastMonth| cats.iter().map(|(c, _)| m.of(*c)).sum::<i64>();
    let max_month = r.forecast.iter().map(month_total).max().unwrap_or(0);
    let navigate = use_navigate();
    let segment_href = {
        let filters = filters.clone();
        let p = p.clone();
        move |month: &str, c: ForecastCategory| {
            let mut extra = vec![("close_month", month), ("forecast", c.as_str())];
            if c == ForecastCategory::Closed {
                extra.push(("status", "won"));
            }
            filters.list(&p, &extra)
        }
    };
    let n = r.forecast.len().max(1) as f64;
    let columns = r
        .forecast
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut y = 100.0;
            let x = i as f64 * 100.0 / n + 2.0;
            let w = 100.0 / n - 4.0;
            cats.iter()
                .filter(|(c, _)| m.of(*c) > 0)
                .map(|(c, _)| {
                    let h = width(m.of(*c), max_month) * 0.9;
                    y -= h;
                    let href = segment_href(&m.month, *c);
                    let navigate = navigate.clone();
                    view! {
                        <rect class=format!("seg {}", c.as_str()) x=format!("{x:.2}") y=format!("{y:.2}")
                            width=format!("{w:.2}") height=format!("{h:.2}")
                            on:click=move |_| navigate(&href, Default::default()) />
                    }
                })
                .collect_view()
        })
        .collect_view();
    let month_rows = r
        .forecast
        .iter()
        .map(|m| {
            let cells = cats
                .iter()
                .map(|(c, _)| {
                    let href = segment_href(&m.month, *c);
                    view! { <td class="num"><a href=href data-test=format!("forecast-{}-{}", m.month, c.as_str())>{money(m.of(*c))}</a></td> }
                })
                .collect_view();
            view! {
                <tr><th scope="row">{month_label(&m.month)}</th>{cells}
                    <td class="num">{money(m.weighted)}</td></tr>
            }
        })
        .collect_view();
    let cat_heads = cats
        .iter()
        .map(|(c, msg)| view! { <th scope="col" class="num"><span class=format!("key {}", c.as_str())></span>{tx.t(*msg)}</th> })
        .collect_view();

    // Owners (managers).
    let owners = (!r.owners.is_empty()).then(|| {
        let rows = r
            .owners
            .iter()
            .map(|o| {
                let href = {
                    let mut f = filters.clone();
                    f.owner = o.owner_id.clone();
                    f.list(&p, &[])
                };
                view! {
                    <tr><th scope="row"><a href=href>{user_name(&users, &o.owner_id)}</a></th>
                        <td class="num">{o.open}</td><td class="num">{money(o.weighted)}</td>
                        <td class="num">{money(o.commit)}</td><td class="num">{money(o.best_case)}</td>
                        <td class="num">{money(o.won)}</td></tr>
                }
            })
            .collect_view();
        view! {
            <section class="card report" data-test="report-owners">
                <h2>{tx.t(AdminMsg::ByOwner)}</h2>
                <div class="table-wrap"><table class="report-table">
                    <thead><tr><th scope="col">{i18n.t(Msg::Owner)}</th><th scope="col" class="num">{tx.t(AdminMsg::Deals)}</th>
                        <th scope="col" class="num">{i18n.t(Msg::Weighted)}</th><th scope="col" class="num">{tx.t(AdminMsg::CatCommit)}</th>
                        <th scope="col" class="num">{tx.t(AdminMsg::CatBestCase)}</th><th scope="col" class="num">{tx.t(AdminMsg::WonInPeriod)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </section>
        }
    });

    // Aging.
    let max_days = r
        .aging
        .iter()
        .filter_map(|a| a.median_days)
        .max()
        .unwrap_or(0);
    let aging = r
        .aging
        .iter()
        .map(|a| {
            let stalled_href = filters.list(&p, &[("stage", a.stage.as_str()), ("stalled", "1")]);
            let limit = if a.max_days > 0 { a.max_days.to_string() } else { "—".into() };
            view! {
                <tr><th scope="row">{stage_name(a.stage.as_str())}</th>
                    <td class="num">{a.count}</td>
                    <td class="num">
                        <Bar share=width(a.median_days.unwrap_or(0), max_days) inline=true />
                        {a.median_days.map_or_else(|| "—".to_string(), |d| d.to_string())}
                    </td>
                    <td class="num">{limit}</td>
                    <td class="num"><a href=stalled_href class:hot={a.stalled > 0} data-test=format!("stalled-{}", a.stage)>{a.stalled}</a></td></tr>
            }
        })
        .collect_view();

    // Conversion and win rates.
    let conversion = r
        .conversion
        .stages
        .iter()
        .map(|c| {
            view! {
                <tr><th scope="row">{stage_name(c.stage.as_str())}</th><td class="num">{c.entered}</td>
                    <td class="num">{c.advanced}</td><td class="num">{pct(c.rate)}</td></tr>
            }
        })
        .collect_view();
    let rate_rows = move |rows: &[WinRate],
                          label: &dyn Fn(&str) -> String,
                          link: &dyn Fn(&str) -> Option<String>| {
        rows.iter()
            .map(|w| {
                let name = label(&w.key);
                let bar = view! {
                    <Bar share=f64::from(w.rate.unwrap_or(0)) inline=true />
                };
                let head = match link(&w.key) {
                    Some(href) => view! { <a href=href>{name}</a> }.into_any(),
                    None => view! { <span>{name}</span> }.into_any(),
                };
                view! {
                    <tr><th scope="row">{head}</th><td class="num">{w.won}</td><td class="num">{w.lost}</td>
                        <td class="num">{bar}{pct(w.rate)}</td>
                        <td class="num">{w.avg_cycle_days.map_or_else(|| "—".to_string(), |d| d.to_string())}</td></tr>
                }
            })
            .collect_view()
    };
    let grade_link = {
        let filters = filters.clone();
        let p = p.clone();
        move |g: &str| {
            let mut f = filters.clone();
            f.grade = g.to_string();
            Some(f.list(&p, &[("status", "all")]))
        }
    };
    let by_grade = rate_rows(
        &r.conversion.by_grade,
        &|k: &str| k.to_string(),
        &grade_link,
    );
    let track_label = move |k: &str| {
        let t = match k {
            "full" => shared::Track::Full,
            "fast" => shared::Track::Fast,
            _ => shared::Track::Partner,
        };
        crate::components::ui::track_label(i18n, t).to_string()
    };
    let by_track = rate_rows(&r.conversion.by_track, &track_label, &|_| None);
    let rate_head = move || {
        view! {
            <thead><tr><th scope="col"></th><th scope="col" class="num">{tx.t(AdminMsg::WonCount)}</th>
                <th scope="col" class="num">{tx.t(AdminMsg::LostCount)}</th><th scope="col" class="num">{tx.t(AdminMsg::WinRate)}</th>
                <th scope="col" class="num">{tx.t(AdminMsg::AvgCycle)}</th></tr></thead>
        }
    };

    // Gate debt heat table.
    let kinds = [
        (BlockerKind::Field, AdminMsg::KindField),
        (BlockerKind::Task, AdminMsg::KindTask),
        (BlockerKind::Approval, AdminMsg::KindApproval),
        (BlockerKind::Role, AdminMsg::KindRole),
    ];
    let max_cell = r.gate_debt.cells.iter().map(|c| c.count).max().unwrap_or(0);
    let debt_rows = r
        .funnel
        .iter()
        .map(|s| {
            let cells = kinds
                .iter()
                .map(|(k, _)| {
                    let n = r
                        .gate_debt
                        .cells
                        .iter()
                        .find(|c| c.stage == s.stage && c.kind == *k)
                        .map_or(0, |c| c.count);
                    let heat = if max_cell == 0 { 0.0 } else { n as f64 / max_cell as f64 };
                    // A CSS variable set through the CSSOM (no `style` attribute: CSP).
                    let style = ("--heat", format!("{heat:.2}"));
                    let href = filters.list(&p, &[("stage", s.stage.as_str()), ("blocked_kind", kind_name(*k))]);
                    let test = format!("debt-{}-{}", s.stage, kind_name(*k));
                    if n == 0 {
                        view! { <td class="num heat" style=style data-test=test>"0"</td> }.into_any()
                    } else {
                        view! { <td class="num heat" class:dark={heat > 0.55} style=style><a href=href data-test=test>{n}</a></td> }.into_any()
                    }
                })
                .collect_view();
            view! { <tr><th scope="row">{stage_name(s.stage.as_str())}</th>{cells}</tr> }
        })
        .collect_view();
    let kind_heads = kinds
        .iter()
        .map(|(_, m)| view! { <th scope="col" class="num">{tx.t(*m)}</th> })
        .collect_view();
    // A requirement's label (a role's key is its name): `kind:key`.
    let requirement_name = {
        let pipeline = pipeline.clone();
        move |key: &str| {
            let (_, k) = key.split_once(':').unwrap_or(("", key));
            pipeline.as_ref().map_or_else(
                || k.to_string(),
                |p| crate::components::timeline::requirement_name(i18n, p, k),
            )
        }
    };
    let top = r
        .gate_debt
        .top
        .iter()
        .map(|d| {
            let href = filters.list(
                &p,
                &[("stage", d.stage.as_str()), ("blocked_key", d.key.as_str())],
            );
            view! {
                <li><a href=href>{requirement_name(&d.key)}</a>
                    " · "{stage_name(d.stage.as_str())}" · "<strong>{d.count}</strong></li>
            }
        })
        .collect_view();

    let counts = move |items: &[shared::report::Count]| {
        if items.is_empty() {
            return view! { <p class="muted">{tx.t(AdminMsg::NothingYet)}</p> }.into_any();
        }
        let max = items.iter().map(|c| c.count as i64).max().unwrap_or(0);
        items
            .iter()
            .map(|c| {
                view! {
                    <div class="bar-row">
                        <span class="bar-label">{c.label.clone()}</span>
                        <Bar share=width(c.count as i64, max) inline=false />
                        <span class="bar-text">{format!("{} · {}", c.count, amount(&config, c.amount))}</span>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let reasons = counts(&r.lost_reasons);
    let competitors = counts(&r.competitors);
    let won_href = filters.list(&p, &[("status", "won")]);
    let open_href = filters.list(&p, &[]);

    view! {
        <div class="kpis" data-test="report-kpis">
            <a class="kpi card" href=open_href><span>{tx.t(AdminMsg::OpenDeals)}</span><strong>{open_count}</strong><small>{money(open_amount)}</small></a>
            <div class="kpi card"><span>{tx.t(AdminMsg::WeightedPipeline)}</span><strong>{money(weighted)}</strong></div>
            <a class="kpi card" href=won_href><span>{tx.t(AdminMsg::WonInPeriod)}</span><strong>{r.won.count}</strong><small>{money(r.won.amount)}</small></a>
            <div class="kpi card"><span>{tx.t(AdminMsg::LostInPeriod)}</span><strong>{r.lost.count}</strong><small>{money(r.lost.amount)}</small></div>
            <div class="kpi card"><span>{tx.t(AdminMsg::WinRate)}</span><strong>{pct(win_rate)}</strong></div>
        </div>
        <section class="card report" data-test="report-funnel">
            <h2>{tx.t(AdminMsg::Funnel)}</h2>
            <div class="bars">{funnel}</div>
        </section>
        <section class="card report" data-test="report-forecast">
            <h2>{tx.t(AdminMsg::ForecastByMonth)}</h2>
            <svg class="stacked" viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">{columns}</svg>
            <div class="months" aria-hidden="true">
                {r.forecast.iter().map(|m| view! { <span>{month_label(&m.month)}</span> }).collect_view()}
            </div>
            <div class="table-wrap"><table class="report-table">
                <thead><tr><th scope="col">{tx.t(AdminMsg::Month)}</th>{cat_heads}<th scope="col" class="num">{i18n.t(Msg::Weighted)}</th></tr></thead>
                <tbody>{month_rows}</tbody>
            </table></div>
        </section>
        {owners}
        <section class="card report" data-test="report-aging">
            <h2>{tx.t(AdminMsg::StageAging)}</h2>
            <div class="table-wrap"><table class="report-table">
                <thead><tr><th scope="col">{i18n.t(Msg::Stage)}</th><th scope="col" class="num">{tx.t(AdminMsg::Deals)}</th>
                    <th scope="col" class="num">{tx.t(AdminMsg::MedianDays)}</th><th scope="col" class="num">{tx.t(AdminMsg::DayLimit)}</th>
                    <th scope="col" class="num">{tx.t(AdminMsg::Stalled)}</th></tr></thead>
                <tbody>{aging}</tbody>
            </table></div>
        </section>
        <section class="card report" data-test="report-conversion">
            <h2>{tx.t(AdminMsg::Conversion)}</h2>
            <div class="table-wrap"><table class="report-table">
                <thead><tr><th scope="col">{i18n.t(Msg::Stage)}</th><th scope="col" class="num">{tx.t(AdminMsg::Entered)}</th>
                    <th scope="col" class="num">{tx.t(AdminMsg::WentOn)}</th><th scope="col" class="num">{tx.t(AdminMsg::Rate)}</th></tr></thead>
                <tbody>{conversion}</tbody>
            </table></div>
            <p>{tx.t(AdminMsg::LeadConversion)}": "<strong data-test="lead-rate">{pct(r.conversion.lead_rate)}</strong>
                {format!(" ({} / {})", r.conversion.leads_converted, r.conversion.leads_created)}</p>
            <h3>{tx.t(AdminMsg::WinRateByGrade)}</h3>
            <div class="table-wrap"><table class="report-table">{rate_head()}<tbody>{by_grade}</tbody></table></div>
            <h3>{tx.t(AdminMsg::WinRateByTrack)}</h3>
            <div class="table-wrap"><table class="report-table">{rate_head()}<tbody>{by_track}</tbody></table></div>
        </section>
        <section class="card report" data-test="report-debt">
            <h2>{tx.t(AdminMsg::GateDebt)}</h2>
            <p class="muted">{tx.t(AdminMsg::GateDebtIntro)}" "
                <strong>{format!("{} / {}", r.gate_debt.blocked, r.gate_debt.open)}</strong>" "{tx.t(AdminMsg::Blocked)}</p>
            <div class="table-wrap"><table class="report-table heat-table">
                <thead><tr><th scope="col">{i18n.t(Msg::Stage)}</th>{kind_heads}</tr></thead>
                <tbody>{debt_rows}</tbody>
            </table></div>
            <h3>{tx.t(AdminMsg::TopUnmet)}</h3>
            <ol class="top-unmet">{top}</ol>
        </section>
        <section class="card report" data-test="report-lost">
            <h2>{tx.t(AdminMsg::LostReasons)}</h2>
            <div class="bars">{reasons}</div>
            <h3>{tx.t(AdminMsg::Competitors)}</h3>
            <div class="bars">{competitors}</div>
        </section>
    }
}
