//! The application's clock. Production reads the system clock; tests hold a movable one and
//! move it (`app.clock.advance(Duration::days(11))`) instead of rewriting timestamps in the
//! database.
//!
//! The app installs its clock for the code it runs: every request (a middleware), every
//! `db::run` closure, every worker task. [`crate::db::now`] and [`crate::db::today`] read the
//! clock installed there, and the system clock where none is. What measures durations (request
//! timings, the worker's rest between passes) stays on `std::time::Instant`: that is elapsed
//! time, not the time of day.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};

tokio::task_local! {
    static CURRENT: Clock;
}

/// A clock: the system's, or the system's moved by an offset that tests set. Cheap to clone;
/// clones of a movable clock move together.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds added to the system time; `None` for the system clock, which never moves.
    offset_us: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { offset_us: None }
    }

    /// A clock that reads the system time until it is moved with [`Clock::advance`] or
    /// [`Clock::set`]; time keeps flowing from where it was moved to.
    pub fn movable() -> Clock {
        Clock {
            offset_us: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// The current instant as stored: UTC, truncated to microseconds (both backends keep
    /// that).
    pub fn now(&self) -> NaiveDateTime {
        let system = Utc::now().naive_utc();
        let at = match &self.offset_us {
            None => system,
            Some(offset) => system + Duration::microseconds(offset.load(Ordering::SeqCst)),
        };
        at.trunc_subsecs(6)
    }

    /// Today's date in Beijing, where every deadline and date of the product is read.
    pub fn today(&self) -> NaiveDate {
        crate::domain::calendar::beijing_date(self.now())
    }

    /// Moves a movable clock by `by` (backwards when negative).
    ///
    /// # Panics
    /// On the system clock, which only the system moves.
    pub fn advance(&self, by: Duration) {
        let micros = by
            .num_microseconds()
            .expect("a clock moves by less than 290,000 years");
        self.offset().fetch_add(micros, Ordering::SeqCst);
    }

    /// Moves a movable clock so that it reads `at` (UTC) now; it goes on from there.
    ///
    /// # Panics
    /// On the system clock, which only the system moves.
    pub fn set(&self, at: NaiveDateTime) {
        // The system time read as `now` reads it (whole microseconds), so that the offset is
        // exact and `now` never reads a microsecond before `at`.
        let system = Utc::now().naive_utc().trunc_subsecs(6);
        let offset = (at - system)
            .num_microseconds()
            .expect("a clock is set within 290,000 years of now");
        self.offset().store(offset, Ordering::SeqCst);
    }

    fn offset(&self) -> &AtomicI64 {
        self.offset_us
            .as_deref()
            .expect("only a movable clock (Clock::movable) can be moved")
    }

    /// The clock installed for the running code, or the system clock.
    pub fn current() -> Clock {
        CURRENT.try_with(Clock::clone).unwrap_or_default()
    }

    /// Runs the future with this clock installed (for every poll of it).
    pub async fn scope<F: Future>(&self, f: F) -> F::Output {
        CURRENT.scope(self.clone(), f).await
    }

    /// Runs blocking work with this clock installed (on the thread that runs it).
    pub fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        CURRENT.sync_scope(self.clone(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_movable_clock_moves_and_its_clones_with_it() {
        let clock = Clock::movable();
        let copy = clock.clone();
        // The clock reads whole microseconds: compare with the system time read the same way.
        let before = Utc::now().naive_utc().trunc_subsecs(6);
        clock.advance(Duration::days(11));
        let moved = copy.now();
        assert!(moved >= before + Duration::days(11));
        assert!(moved < Utc::now().naive_utc() + Duration::days(11) + Duration::seconds(1));

        let at = NaiveDate::from_ymd_opt(2031, 3, 4)
            .unwrap()
            .and_hms_opt(16, 30, 0)
            .unwrap();
        copy.set(at);
        let now = clock.now();
        assert!(now >= at && now < at + Duration::seconds(1), "{now}");
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2031, 3, 5).unwrap(),
            "16:30 UTC is past midnight in Beijing"
        );
    }

    #[test]
    fn the_installed_clock_is_the_current_one_and_system_time_elsewhere() {
        let clock = Clock::movable();
        clock.advance(Duration::days(-400));
        let year_ago = Utc::now().naive_utc() - Duration::days(300);
        assert!(clock.enter(|| Clock::current().now()) < year_ago);
        assert!(clock.enter(crate::db::now) < year_ago);
        assert!(Clock::current().now() > year_ago, "none installed here");
        assert!(crate::db::now() > year_ago);
    }

    #[actix_rt::test]
    async fn a_scoped_future_reads_its_clock_across_awaits() {
        let clock = Clock::movable();
        clock.advance(Duration::days(30));
        let month_on = Utc::now().naive_utc() + Duration::days(29);
        let read = clock
            .scope(async {
                tokio::task::yield_now().await;
                crate::db::now()
            })
            .await;
        assert!(read > month_on);
        assert!(crate::db::now() < month_on);
    }

    #[test]
    #[should_panic(expected = "only a movable clock")]
    fn the_system_clock_does_not_move() {
        Clock::system().advance(Duration::seconds(1));
    }
}
