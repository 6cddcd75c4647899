//! A question asked of the server as the user edits (the impact of the
//! thresholds or of a pipeline draft): after a pause, or at once; answers
//! may cross, so only the newest question's answer is shown.

use crate::api::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;
use std::time::Duration;

pub struct Asker<Q: Send + Sync + 'static, A: Send + Sync + 'static> {
    /// The last answer, with the question it answers.
    pub shown: RwSignal<Option<(Q, A)>>,
    pub error: RwSignal<Option<ApiError>>,
    /// A question is out.
    pub pending: RwSignal<bool>,
    asked: StoredValue<u64>,
    timer: StoredValue<Option<TimeoutHandle>>,
    ask: Callback<Q>,
}

impl<Q: Send + Sync + 'static, A: Send + Sync + 'static> Clone for Asker<Q, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Q: Send + Sync + 'static, A: Send + Sync + 'static> Copy for Asker<Q, A> {}

impl<Q, A> Asker<Q, A>
where
    Q: Clone + Send + Sync + 'static,
    A: Send + Sync + 'static,
{
    /// Asks with `fetch`; the pending timer ends with the calling component.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Q) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A, ApiError>> + 'static,
    {
        let shown = RwSignal::new(None);
        let error = RwSignal::new(None);
        let pending = RwSignal::new(false);
        let asked = StoredValue::new(0_u64);
        let timer = StoredValue::new(None::<TimeoutHandle>);
        on_cleanup(move || {
            if let Some(Some(t)) = timer.try_get_value() {
                t.clear();
            }
        });
        let ask = Callback::new(move |q: Q| {
            let n = asked.get_value() + 1;
            asked.set_value(n);
            pending.set(true);
            let answer = fetch(q.clone());
            spawn_local(async move {
                let answer = answer.await;
                if asked.try_get_value() != Some(n) {
                    return;
                }
                pending.set(false);
                match answer {
                    Ok(a) => {
                        error.set(None);
                        shown.set(Some((q, a)));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        });
        Asker {
            shown,
            error,
            pending,
            asked,
            timer,
            ask,
        }
    }

    fn cancel_timer(self) {
        if let Some(t) = self.timer.get_value() {
            t.clear();
            self.timer.set_value(None);
        }
    }

    /// Asks `q` after `pause` (none: now); a newer question replaces it.
    pub fn ask(self, q: Q, pause: Option<Duration>) {
        self.cancel_timer();
        match pause {
            Some(d) => {
                let ask = self.ask;
                self.timer.set_value(
                    set_timeout_with_handle(
                        move || {
                            let _ = ask.try_run(q);
                        },
                        d,
                    )
                    .ok(),
                );
            }
            None => self.ask.run(q),
        }
    }

    /// Nothing to ask (what is typed is invalid): any answer still coming
    /// is dropped.
    pub fn forget(self) {
        self.cancel_timer();
        self.asked.update_value(|n| *n += 1);
        self.pending.set(false);
    }
}
