//! A versioned record on a page, and the one way to change it: call the
//! server and take the record it answers; on a 409 take the fresh record the
//! problem carries and say so. Errors stay on the page, nothing typed is lost.

use crate::api::ApiError;
use crate::model;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// What a change answers: the record as the server now has it.
pub type Change<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

#[derive(Debug)]
pub struct Saver<T: Send + Sync + 'static> {
    pub record: RwSignal<T>,
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
    /// The last change met a newer version: the page shows the fresh record.
    pub conflict: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for Saver<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Saver<T> {}

impl<T: Clone + DeserializeOwned + Send + Sync + 'static> Saver<T> {
    pub fn new(record: T) -> Self {
        Saver {
            record: RwSignal::new(record),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            conflict: RwSignal::new(false),
        }
    }

    /// Runs `change`; `taking` sees each record before the page shows it
    /// (with `true` when it came with a 409), e.g. to merge a draft.
    pub fn start(self, change: Change<T>, taking: impl Fn(&T, bool) + 'static) {
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            match change.await {
                Ok(fresh) => self.take(fresh, false, &taking),
                Err(e) => match model::conflict::<T>(&e) {
                    Some(fresh) => self.take(fresh, true, &taking),
                    None => self.error.set(Some(e)),
                },
            }
            self.busy.set(false);
        });
    }

    fn take(self, fresh: T, stale: bool, taking: &dyn Fn(&T, bool)) {
        taking(&fresh, stale);
        self.conflict.set(stale);
        self.record.set(fresh);
    }
}
