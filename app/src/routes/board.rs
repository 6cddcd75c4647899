//! `/`: the pipeline board. A column per stage of the chosen pipeline with
//! the true count, amount and weighted amount of its open deals over the
//! whole filter (summed by the server), and its cards, newest first, in
//! pages. A card moves by "Move on", by its "Move to" button and select (the keyboard
//! path) or by dragging it to another column: the gate's verdict shows on
//! the column while dragging, a refused drop springs back and lists the
//! blockers, an allowed one asks the server and the card lands where the
//! server put it, the sums following, without reloading the board. The
//! filters (owner for managers, grade, search) live in the address; the
//! last board is shown at once on return and revalidated behind it.

use crate::api::{self, ApiError};
use crate::components::close_deal::{Closing, LoseForm, WinForm};
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, Load, load, on_config_change};
use crate::components::loading::Loading;
use crate::components::saver::Saver;
use crate::components::ui::{GradeBadge, loc, money, now, person, sells};
use crate::i18n::{Msg, use_i18n};
use crate::model;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{BoardView, Config, TransitionRequest, UserSummary};
use shared::gate::{Target, Transition, advance_target};
use shared::{Blocker, Grade, GradingPolicy, Key, Money, Opportunity, Pipeline, Verdict};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

/// Cards a column shows first: more than a column holds on a laptop's
/// screen (about five), and every card is a deal's whole record, a verdict
/// and ~20 nodes, so a board of 50 a column built and parsed 300 cards for
/// the dozen or so in view (README, "Performance"). The column's count and
/// sums are the server's, of every deal; "Load more" shows the rest.
const FIRST_PER_COLUMN: usize = 20;
/// Cards per "load more": someone who asks for more is looking through the
/// column.
const MORE_PER_COLUMN: usize = 50;
/// Cards a column builds with the board, in its first task: about what a
/// laptop's screen shows of a column. The rest of the first page is built
/// after the board has painted, a column per task (`build_rest`): the 120
/// cards in one task were ~70% of a ~270 ms task at Lighthouse's 4x slower
/// CPU (a CPU profile), and a task that long blocks input.
const FIRST_BUILT: usize = 4;

#[derive(Clone, Debug, Default, PartialEq)]
struct BoardFilters {
    /// As the address names it; empty for the config's first pipeline,
    /// which the server shows when none is named. The board's read ahead
    /// (`read_ahead`, before the config is in) and the page then ask for
    /// the same board.
    pipeline: String,
    owner: String,
    grade: String,
    q: String,
}

impl BoardFilters {
    fn from_url(get: impl Fn(&str) -> Option<String>) -> BoardFilters {
        BoardFilters {
            pipeline: get("pipeline").unwrap_or_default(),
            owner: get("owner").unwrap_or_default(),
            grade: get("grade").unwrap_or_default(),
            q: get("q").unwrap_or_default(),
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("pipeline", &self.pipeline),
            ("owner", &self.owner),
            ("grade", &self.grade),
            ("q", &self.q),
        ]
    }

    /// The board's address with these filters.
    fn url(&self) -> String {
        format!("/{}", api::query(&self.pairs()))
    }

    /// `GET /api/board`'s query.
    fn board_query(&self) -> String {
        let per = FIRST_PER_COLUMN.to_string();
        let mut pairs = self.pairs().to_vec();
        pairs.push(("limit", &per));
        api::query(&pairs)
    }

    /// One more page of a column of `pipeline`'s board (the deal list's
    /// endpoint, same filters).
    fn column_query(&self, pipeline: &str, stage: &str, cursor: &str) -> String {
        let per = MORE_PER_COLUMN.to_string();
        let mut pairs = self.pairs().to_vec();
        // The pipeline the board shows, also when the address names none.
        pairs[0].1 = pipeline;
        pairs.extend([
            ("stage", stage),
            ("status", "open"),
            ("cursor", cursor),
            ("limit", per.as_str()),
        ]);
        api::query(&pairs)
    }
}

/// Starts the board's read from the address (the route's `data()`), while
/// the page's code and who is signed in are still on their way.
pub fn read_ahead() {
    // Not for a channel manager this browser keeps: the page sends them on.
    if use_context::<crate::auth::Auth>().is_some_and(|a| a.channel_only()) {
        return;
    }
    let q = crate::router::use_query_map().get_untracked();
    api::prefetch(api::board_path(
        &BoardFilters::from_url(|k| q.get(k)).board_query(),
    ));
}

thread_local! {
    /// The last board shown, with its filters: a return shows it at once.
    static LAST: RefCell<Option<(BoardFilters, BoardView)>> = const { RefCell::new(None) };
}

/// The page's heading: the outlet shows it too while the page's code
/// arrives (`routes::Outlet`).
pub const HEADING: Msg = Msg::BoardHeading;

#[component]
pub fn Board() -> impl IntoView {
    // A channel manager's home is the registrations queue, not the board.
    let auth = crate::auth::use_auth();
    if auth.channel_only() {
        let navigate = crate::router::use_navigate();
        navigate(
            "/registrations",
            crate::router::NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
        return ().into_any();
    }
    // The pipelines to choose from are the config's: the config first (cached).
    let (state, reload) = load(api::config);
    // New rules: the board again.
    on_config_change(move || reload.run(()));
    let board = move |config: Arc<Config>| match model::policy(&config) {
        Ok(policy) => view! { <PipelineBoard config policy /> }.into_any(),
        // No verdict on rules other than the server's.
        Err(error) => view! { <ErrorView error /> }.into_any(),
    };
    view! {
        <section class="page board">
            <Fetched state reload view=board />
        </section>
    }
    .into_any()
}

/// The board of one pipeline (the config's first unless the address names
/// another), with its filters.
#[component]
fn PipelineBoard(config: Arc<Config>, policy: GradingPolicy) -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::auth::use_auth();
    let is_manager = auth.has(shared::Role::Manager) || auth.has(shared::Role::Admin);
    let ids: Vec<String> = config.pipelines.iter().map(|p| p.id.to_string()).collect();
    let ids = StoredValue::new(ids);
    // A pipeline the config does not have: the first, as none named.
    let known = move |mut f: BoardFilters| {
        if !ids.with_value(|ids| ids.contains(&f.pipeline)) {
            f.pipeline.clear();
        }
        f
    };
    let url = crate::router::use_query_map();
    let from_url = move || known(url.with(|q| BoardFilters::from_url(|k| q.get(k))));
    let filters = RwSignal::new(from_url());
    let kept = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(f, _)| filters.with_untracked(|now| f == now))
            .map(|(_, b)| b.clone())
    });
    let (state, set_state) = signal(match kept {
        Some(board) => Load::Done(Ok(board)),
        None => Load::Loading,
    });
    let fetch = Callback::new(move |()| {
        let f = filters.get_untracked();
        spawn_local(async move {
            let answer: Result<BoardView, ApiError> = api::board(&f.board_query()).await;
            // The cards are built in a task after the one that read (and
            // parsed) them, and built the filters.
            crate::components::ui::next_task().await;
            // The board is gone (the user moved on), or a newer choice of
            // filters went out meanwhile (its answer counts): nothing to show.
            if filters.try_with_untracked(|now| *now != f).unwrap_or(true) {
                return;
            }
            if let Ok(board) = &answer {
                LAST.with(|l| *l.borrow_mut() = Some((f, board.clone())));
            }
            set_state.set(Load::Done(answer));
        });
    });
    // Shown from memory or not, the server's board replaces it when it answers.
    fetch.run(());
    let refetch = Callback::new(move |()| {
        set_state.set(Load::Loading);
        fetch.run(());
    });
    // Back and forward: the board follows the address.
    Effect::new(move |before: Option<BoardFilters>| {
        let now = from_url();
        if before.is_some() && filters.with_untracked(|f| *f != now) {
            filters.set(now.clone());
            refetch.run(());
        }
        now
    });
    let navigate = crate::router::use_navigate();
    let choose = move |apply: fn(&mut BoardFilters, String)| {
        let navigate = navigate.clone();
        move |value: String| {
            filters.update(|f| apply(f, value));
            refetch.run(());
            navigate(
                &filters.with_untracked(BoardFilters::url),
                Default::default(),
            );
        }
    };
    let pick_pipeline = choose(|f, v| f.pipeline = v);
    let pick_owner = choose(|f, v| f.owner = v);
    let pick_grade = choose(|f, v| f.grade = v);
    let search = {
        let go = choose(|f, v| f.q = v);
        let typed = RwSignal::new(filters.with_untracked(|f| f.q.clone()));
        (typed, move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            go(typed.get_untracked());
        })
    };
    let (typed, submit_search) = search;
    // Managers pick an owner among the salespeople.
    let sellers = RwSignal::new(Vec::<UserSummary>::new());
    if is_manager {
        spawn_local(async move {
            if let Ok(users) = api::users().await {
                sellers.set(users.iter().filter(|u| sells(u)).cloned().collect());
            }
        });
    }
    let pipelines = config
        .pipelines
        .iter()
        .map(|p| {
            let id = p.id.to_string();
            let selected = filters.with_untracked(|f| {
                f.pipeline == id
                    || f.pipeline.is_empty() && ids.with_value(|ids| ids.first() == Some(&id))
            });
            view! { <option value=id.clone() selected=selected>{loc(i18n, &p.name)}</option> }
        })
        .collect_view();
    // The first board built here shows its first cards first (`FIRST_BUILT`);
    // one that replaces a board on screen (the server's answer after the
    // last board, from memory) is built whole: not shorter for a frame.
    let built_once = StoredValue::new(false);
    let columns = {
        let config = config.clone();
        move || match state.get() {
            Load::Loading => view! { <Loading /> }.into_any(),
            Load::Done(Err(error)) => view! { <ErrorView error retry=refetch /> }.into_any(),
            Load::Done(Ok(board)) => {
                let Some(pipeline) = config
                    .pipelines
                    .iter()
                    .find(|p| p.id == board.pipeline)
                    .cloned()
                else {
                    return view! { <p class="error">{i18n.t(Msg::UnknownPipeline)}</p> }
                        .into_any();
                };
                let first = if built_once.get_value() {
                    usize::MAX
                } else {
                    FIRST_BUILT
                };
                built_once.set_value(true);
                view! { <Columns board pipeline policy filters reload=refetch first /> }.into_any()
            }
        }
    };
    view! {
        <div class="page-head">
            <h1>{i18n.t(HEADING)}</h1>
            <form class="filters board-filters" role="search" on:submit=submit_search data-test="board-filters">
                <label class="inline">
                    <span>{i18n.t(Msg::Pipeline)}</span>
                    <select data-test="board-pipeline" on:change=move |ev| pick_pipeline(event_target_value(&ev))>
                        {pipelines}
                    </select>
                </label>
                {is_manager.then(|| view! {
                    <select aria-label=i18n.t(Msg::Owner) data-test="board-owner"
                        on:change=move |ev| pick_owner(event_target_value(&ev))>
                        <option value="">{i18n.t(Msg::AllOwners)}</option>
                        {move || sellers.get().into_iter().map(|u| {
                            let selected = filters.with_untracked(|f| f.owner == u.id);
                            view! { <option value=u.id.clone() selected=selected>{person(&u)}</option> }
                        }).collect_view()}
                    </select>
                })}
                <select aria-label=i18n.t(Msg::Grade) data-test="board-grade"
                    on:change=move |ev| pick_grade(event_target_value(&ev))>
                    <option value="">{i18n.t(Msg::AllGrades)}</option>
                    {Grade::ALL.map(|g| {
                        let selected = filters.with_untracked(|f| f.grade == g.as_str());
                        view! { <option value=g.as_str() selected=selected>{g.as_str()}</option> }
                    }).collect_view()}
                </select>
                <input type="search" name="q" data-test="board-search" placeholder=i18n.t(Msg::SearchDeals)
                    aria-label=i18n.t(Msg::SearchDeals) prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) />
                <button type="submit">{i18n.t(Msg::Search)}</button>
            </form>
        </div>
        {columns}
    }
}

/// One column's open deals: the server's count and amount over the whole
/// filter (the weighted amount follows from the amount), and the cards
/// loaded so far.
#[derive(Clone, Debug, PartialEq)]
struct Column {
    count: u64,
    amount: i64,
    items: Vec<Opportunity>,
    next: Option<String>,
}

/// What the columns and cards share: the rules, the columns, the card
/// being dragged, the last refused move.
#[derive(Clone, Copy)]
struct BoardCtl {
    pipeline: StoredValue<Arc<Pipeline>>,
    policy: StoredValue<GradingPolicy>,
    columns: StoredValue<Vec<(Key, RwSignal<Column>)>>,
    filters: RwSignal<BoardFilters>,
    dragging: RwSignal<Option<Opportunity>>,
    /// The card whose move the gate refused, and why.
    refused: RwSignal<Option<(String, Vec<Blocker>)>>,
    /// The card waiting for the server.
    moving: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    reload: Callback<()>,
    i18n: crate::i18n::I18n,
}

impl BoardCtl {
    fn column(self, stage: &str) -> Option<RwSignal<Column>> {
        self.columns.with_value(|cs| {
            cs.iter()
                .find(|(k, _)| k.as_str() == stage)
                .map(|(_, c)| *c)
        })
    }

    fn verdict(self, deal: &Opportunity, to: &Key) -> Verdict {
        self.pipeline.with_value(|p| {
            self.policy
                .with_value(|policy| model::verdict(deal, p, policy, Target::Stage(to.clone())))
        })
    }

    /// Moves `deal` to `to` when the gate allows it; else says why, on the card.
    fn attempt(self, deal: Opportunity, to: Key) {
        if deal.stage == to || self.moving.with_untracked(Option::is_some) {
            return;
        }
        let verdict = self.verdict(&deal, &to);
        if !verdict.allowed {
            self.refused.set(Some((deal.id.clone(), verdict.blockers)));
            return;
        }
        self.refused.set(None);
        self.go(deal, Transition::to(Target::Stage(to)));
    }

    fn go(self, deal: Opportunity, transition: Transition) {
        let (id, version, from) = (deal.id.clone(), deal.version, deal.stage.clone());
        self.moving.set(Some(id.clone()));
        self.notice.set(None);
        let i18n = self.i18n;
        spawn_local(async move {
            let req = TransitionRequest {
                version,
                transition,
            };
            let answer = api::transition(&id, &req).await;
            // The board is gone (the user moved on): nothing to update.
            if self.columns.is_disposed() {
                return;
            }
            match answer {
                Ok(fresh) => self.moved(&from, fresh),
                Err(e) => {
                    if model::conflict::<Opportunity>(&e).is_some() {
                        // Someone else changed it: the board as it is now.
                        self.notice.set(Some(i18n.t(Msg::CardChanged).to_string()));
                        self.reload.run(());
                    } else {
                        self.notice.set(Some(describe(i18n, &e)));
                    }
                }
            }
            self.moving.set(None);
        });
    }

    /// The server moved (or closed) `fresh`, which was in `from`: out of
    /// that column, into its new one while open, the sums following.
    fn moved(self, from: &Key, fresh: Opportunity) {
        if self.columns.is_disposed() {
            return;
        }
        let amount = fresh.amount.minor();
        if let Some(col) = self.column(from.as_str()) {
            col.update(|c| {
                c.items.retain(|d| d.id != fresh.id);
                c.count = c.count.saturating_sub(1);
                c.amount -= amount;
            });
        }
        if fresh.is_open()
            && let Some(col) = self.column(fresh.stage.as_str())
        {
            col.update(|c| {
                c.count += 1;
                c.amount += amount;
                c.items.insert(0, fresh);
            });
        }
    }
}

fn sum(minor: i64, currency: shared::Currency) -> String {
    Money::from_minor(minor).map_or_else(|_| minor.to_string(), |m| money(m, currency))
}

#[component]
fn Columns(
    board: BoardView,
    pipeline: Pipeline,
    policy: GradingPolicy,
    filters: RwSignal<BoardFilters>,
    reload: Callback<()>,
    /// Cards a column builds with the board: the rest after its paint.
    first: usize,
) -> impl IntoView {
    let i18n = use_i18n();
    let currency = board
        .columns
        .iter()
        .flat_map(|c| c.items.first())
        .map(|d| d.currency)
        .next()
        .unwrap_or(shared::Currency::CNY);
    let total: u64 = board.columns.iter().map(|c| c.count).sum();
    let columns: Vec<(Key, RwSignal<Column>)> = board
        .columns
        .into_iter()
        .map(|c| {
            (
                c.stage,
                RwSignal::new(Column {
                    count: c.count,
                    amount: c.amount,
                    items: c.items,
                    next: c.next_cursor,
                }),
            )
        })
        .collect();
    let ctl = BoardCtl {
        pipeline: StoredValue::new(Arc::new(pipeline.clone())),
        policy: StoredValue::new(policy),
        columns: StoredValue::new(columns.clone()),
        filters,
        dragging: RwSignal::new(None),
        refused: RwSignal::new(None),
        moving: RwSignal::new(None),
        notice: RwSignal::new(None),
        reload,
        i18n,
    };
    let today = now();
    // How many of its cards each column builds: its first few now, all of
    // them once the board has painted.
    let mut built = Vec::new();
    let views = columns
        .into_iter()
        .filter_map(|(key, col)| {
            let stage = pipeline.stage(key.as_str())?.clone();
            let shown = RwSignal::new(first);
            built.push(shown);
            Some(view! { <StageColumn stage col shown ctl currency today /> })
        })
        .collect_view();
    // Marks the first paint after the first cards are in the page, for
    // `make bench`; then the rest of the cards; then, when the browser is
    // idle, the deal page's code, while the user reads the board.
    request_animation_frame(move || {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("board-painted");
        }
        built.reverse();
        build_rest(built);
        crate::routes::prefetch_deal_page();
    });
    view! {
        {move || ctl.notice.get().map(|n| view! { <p class="notice" role="alert" data-test="board-notice">{n}</p> })}
        <div class="columns" data-test="board" data-count=total>{views}</div>
        {(total == 0).then(|| view! { <p class="empty">{i18n.t(Msg::BoardEmpty)}</p> })}
    }
}

/// Builds every card of the last column in `built`, in a task of its own
/// after this one (so after the paint of the frame that called it), then
/// the next column's in the next task: each task stays short. Stops if the
/// board is gone.
fn build_rest(mut built: Vec<RwSignal<usize>>) {
    let Some(column) = built.pop() else {
        return;
    };
    set_timeout(
        move || {
            if column.try_set(usize::MAX).is_none() {
                build_rest(built);
            }
        },
        Duration::ZERO,
    );
}

#[component]
fn StageColumn(
    stage: shared::Stage,
    col: RwSignal<Column>,
    /// How many of the column's cards are built (`FIRST_BUILT`, then all).
    shown: RwSignal<usize>,
    ctl: BoardCtl,
    currency: shared::Currency,
    today: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = stage.key.clone();
    // While a card is dragged: may it come here?
    let verdict = Memo::new({
        let key = key.clone();
        move |_| {
            ctl.dragging.with(|d| {
                d.as_ref()
                    .filter(|d| d.stage != key)
                    .map(|d| ctl.verdict(d, &key))
            })
        }
    });
    let over = RwSignal::new(false);
    let allowed = move || verdict.with(|v| v.as_ref().map(|v| v.allowed));
    let drop = {
        let key = key.clone();
        move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            over.set(false);
            if let Some(deal) = ctl.dragging.get_untracked() {
                ctl.dragging.set(None);
                ctl.attempt(deal, key.clone());
            }
        }
    };
    let loading_more = RwSignal::new(false);
    let more = {
        let key = key.to_string();
        move |_| {
            let cursor = col.with_untracked(|c| c.next.clone()).unwrap_or_default();
            let query = ctl.filters.with_untracked(|f| {
                ctl.pipeline
                    .with_value(|p| f.column_query(p.id.as_str(), &key, &cursor))
            });
            loading_more.set(true);
            spawn_local(async move {
                match api::opportunities(&query).await {
                    Ok(page) => col.update(|c| {
                        for d in page.items {
                            if !c.items.iter().any(|have| have.id == d.id) {
                                c.items.push(d);
                            }
                        }
                        c.next = page.next_cursor;
                    }),
                    Err(e) => ctl.notice.set(Some(describe(i18n, &e))),
                }
                loading_more.set(false);
            });
        }
    };
    let hint = move || {
        verdict.with(|v| {
            v.as_ref().map(|v| {
                let text = if v.allowed {
                    i18n.t(Msg::DropHere).to_string()
                } else {
                    let why = v
                        .blockers
                        .first()
                        .map(|b| b.message.get(i18n.current()).to_string())
                        .unwrap_or_default();
                    format!("{} {why}", i18n.t(Msg::DropRefused))
                };
                view! { <p class="drop-hint" data-test="drop-hint">{text}</p> }
            })
        })
    };
    view! {
        <section class="column" data-test="column" data-stage=key.to_string()
            class:drop-ok=move || allowed() == Some(true)
            class:drop-no=move || allowed() == Some(false)
            class:drag-over=move || over.get()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=drop>
            <h2>
                <span class="stage-name">{loc(i18n, &stage.name)}</span>
                <span class="count" data-test="column-count">{move || col.with(|c| c.count)}</span>
            </h2>
            <p class="sums" data-test="column-sums">
                <span data-test="column-amount">{move || col.with(|c| sum(c.amount, currency))}</span>
                <span class="weighted" title=i18n.t(Msg::WeightedHint)>
                    {i18n.t(Msg::Weighted)}" "{stage.probability}"% · "
                    <span data-test="column-weighted">{
                        let stage = stage.clone();
                        move || col.with(|c| sum(stage.weighted(c.amount), currency))
                    }</span>
                </span>
            </p>
            {hint}
            <div class="cards">
                <For each=move || col.with(|c| c.items.iter().take(shown.get()).cloned().collect::<Vec<_>>())
                    key=|d| (d.id.clone(), d.version)
                    children=move |deal: Opportunity| view! { <Card deal ctl today /> } />
            </div>
            {move || {
                let (shown, count, next) = col.with(|c| (c.items.len() as u64, c.count, c.next.is_some()));
                next.then(|| view! {
                    <button type="button" class="more" data-test="column-more" disabled=move || loading_more.get()
                        on:click=more.clone()>
                        {i18n.t(Msg::LoadMore)}" ("{count.saturating_sub(shown)}")"
                    </button>
                })
            }}
        </section>
    }
}

#[component]
fn Card(deal: Opportunity, ctl: BoardCtl, today: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let i18n = use_i18n();
    let pipeline = ctl.pipeline.get_value();
    let policy = ctl.policy.get_value();
    let next = advance_target(&deal, &pipeline);
    let blocked = next
        .clone()
        .is_some_and(|to| !model::verdict(&deal, &pipeline, &policy, to).allowed);
    let days = deal.days_in_stage(today);
    let over = pipeline
        .stage(deal.stage.as_str())
        .is_some_and(|s| s.is_overdue(days));
    // A final-stage card is won or lost in the deal page's own forms, in a
    // dialog: never in one click.
    let at_final = pipeline.is_final(deal.stage.as_str());
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let closing_open = RwSignal::new(false);
    let close_dialog = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    let saver = Saver::new(deal.clone());
    let from = deal.stage.clone();
    // Only a final-stage card closes (the rest never open the dialog): one
    // copy of the pipeline for each of those, not for all 300 cards.
    let closing = at_final.then(|| Closing {
        deal: saver.record,
        pipeline: StoredValue::new((*pipeline).clone()),
        policy: StoredValue::new(policy),
        busy: saver.busy,
        unsaved: Signal::stored(false),
        go: Callback::new(move |transition: Transition| {
            let (id, version) = saver.record.with_untracked(|d| (d.id.clone(), d.version));
            let req = TransitionRequest {
                version,
                transition,
            };
            let change = Box::pin(async move { api::transition(&id, &req).await });
            let from = from.clone();
            // Closed: off the board of open deals.
            saver.start(change, move |fresh, stale| {
                if !stale {
                    close_dialog();
                    ctl.moved(&from, fresh.clone());
                }
            });
        }),
        error: saver.error,
    });
    let id = deal.id.clone();
    // The card's handlers read the deal from its saver when they fire: one
    // copy of the record per card, not one per handler.
    let move_on = move |_| {
        if at_final {
            closing_open.set(true);
            if let Some(d) = dialog.get_untracked() {
                let _ = d.show_modal();
            }
            return;
        }
        if let Some(Target::Stage(to)) = next.clone() {
            ctl.attempt(saver.record.get_untracked(), to);
        }
    };
    // "Move to" is a button until it is pressed (mouse, touch, or Enter /
    // Space from the keyboard); then the select with the choices takes its
    // place, focused and opened. Not a select per card up front: its
    // choices were 14 of a card's ~33 nodes (~4,000 on a board), and
    // Chrome's autofill re-checks the layout of every form control on the
    // page when one changes: with a select on each of 120 cards, one
    // change (the owner filter's options arriving) cost 394 ms of main
    // thread at Lighthouse's 4x slower CPU, after the board painted.
    let choices_shown = RwSignal::new(false);
    let select_ref = NodeRef::<leptos::html::Select>::new();
    let show_choices = move |_| {
        choices_shown.set(true);
        request_animation_frame(move || {
            if let Some(select) = select_ref.get_untracked() {
                let _ = select.focus();
                open_picker(&select);
            }
        });
    };
    let targets = {
        let (pipeline, stage) = (pipeline.clone(), deal.stage.clone());
        move || {
            pipeline
                .stages
                .iter()
                .skip(1)
                .filter(|s| s.key != stage)
                .map(|s| view! { <option value=s.key.to_string()>{loc(i18n, &s.name)}</option> })
                .collect_view()
        }
    };
    let move_to = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        // The select is a command, not a state: back to its prompt.
        event_target::<web_sys::HtmlSelectElement>(&ev).set_value("");
        if let Ok(key) = Key::parse(&value) {
            ctl.attempt(saver.record.get_untracked(), key);
        }
    };
    let refused = {
        let id = id.clone();
        move || {
            ctl.refused.with(|r| {
                r.as_ref()
                    .filter(|(card, _)| *card == id)
                    .map(|(_, blockers)| {
                        blockers
                            .iter()
                            .map(|b| view! { <li>{b.message.get(i18n.current()).to_string()}</li> })
                            .collect_view()
                    })
            })
        }
    };
    let busy = {
        let id = id.clone();
        Signal::derive(move || {
            saver.busy.get() || ctl.moving.with(|m| m.as_deref() == Some(id.as_str()))
        })
    };
    let drag = move |ev: leptos::ev::DragEvent| {
        let deal = saver.record.get_untracked();
        if let Some(dt) = ev.data_transfer() {
            dt.set_effect_allowed("move");
            let _ = dt.set_data("text/plain", &deal.id);
        }
        ctl.refused.set(None);
        ctl.dragging.set(Some(deal));
    };
    let name = deal.name.clone();
    view! {
        <article class="deal-card" class:blocked=blocked class:moving=busy data-test="deal-card" data-id=id.clone()
            draggable="true" on:dragstart=drag on:dragend=move |_| ctl.dragging.set(None)>
            <a href=format!("/opportunities/{id}") class="name">{name.clone()}</a>
            <div class="customer">{deal.customer.clone()}</div>
            <div class="facts-row">
                <GradeBadge grade=deal.grade.effective />
                <span class="amount">{money(deal.amount, deal.currency)}</span>
                <span class="days" class:overdue=over title=i18n.t(Msg::DaysInStage)>
                    {i18n.t(Msg::DaysShort).replace("{n}", &days.to_string())}
                </span>
                {blocked.then(|| view! { <span class="blocked-mark" data-test="blocked">{i18n.t(Msg::Blocked)}</span> })}
            </div>
            <div class="card-actions">
                <button type="button" class="move" data-test="move-on" disabled=busy
                    aria-haspopup=at_final.then_some("dialog")
                    aria-expanded=move || closing_open.get().to_string()
                    on:click=move_on>
                    {i18n.t(if at_final { Msg::CloseDeal } else { Msg::MoveOn })}
                </button>
                {move || if choices_shown.get() {
                    view! {
                        <select class="move-to" data-test="move-to" aria-label=i18n.t(Msg::MoveTo)
                            node_ref=select_ref disabled=busy on:change=move_to>
                            <option value="">{i18n.t(Msg::MoveTo)}</option>
                            {targets()}
                        </select>
                    }
                    .into_any()
                } else {
                    view! {
                        <button type="button" class="move-to" data-test="move-to" aria-haspopup="listbox"
                            disabled=busy on:click=show_choices>
                            {i18n.t(Msg::MoveTo)}" ▾"
                        </button>
                    }
                    .into_any()
                }}
            </div>
            {closing.map(|closing| view! {
                <dialog node_ref=dialog class="close-deal" data-test="close-dialog"
                    aria-label=i18n.t(Msg::CloseDeal) on:close=move |_| closing_open.set(false)>
                    <div class="dialog-head">
                        <h2>{name.clone()}</h2>
                        <button type="button" class="icon" data-test="close-dialog-cancel"
                            aria-label=i18n.t(Msg::CloseDialog) on:click=move |_| close_dialog()>"×"</button>
                    </div>
                    {move || closing_open.get().then(|| view! {
                        <WinForm closing />
                        <LoseForm closing />
                    })}
                    {move || saver.error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
                    {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert">{i18n.t(Msg::CardChanged)}</p> })}
                </dialog>
            })}
            {move || refused().map(|items| view! {
                <div class="refused" role="alert" data-test="card-blockers">
                    <p>{i18n.t(Msg::MoveRefused)}</p>
                    <ul class="blockers">{items}</ul>
                </div>
            })}
        </article>
    }
}

/// Opens a select's list, where the browser can (`showPicker`: it needs the
/// press that led here; elsewhere the select is focused, and the keyboard
/// or a second press opens it).
fn open_picker(select: &web_sys::HtmlSelectElement) {
    use web_sys::js_sys::{Function, Reflect};
    use web_sys::wasm_bindgen::JsCast;
    if let Ok(show) = Reflect::get(select, &"showPicker".into())
        && let Ok(show) = show.dyn_into::<Function>()
    {
        let _ = show.call0(select);
    }
}
