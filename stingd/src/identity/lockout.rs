//! Per-account limits on second-factor guesses. A six-digit code is guessable: the per-address
//! zones alone let someone with many addresses, or with a stolen first-factor session, try
//! codes for one account until one passes. So every second-factor attempt for an account, from
//! TOTP confirmation or from password sign-in, goes through one counter in PostgreSQL (shared
//! by every stingd): [`FREE_FAILURES`] wrong codes in a row lock the account's second factor for
//! [`FIRST_LOCKOUT`], doubling with each further failure up to [`MAX_LOCKOUT`]; a right code
//! resets it. While locked, even the right code is refused.
//!
//! An attempt holds the account's counter row (`FOR UPDATE NOWAIT`) while its code is checked,
//! so concurrent guesses cannot all pass the count: a second attempt for the same account
//! while one is being checked is refused at once, as a wrong code is (uncounted, its code never
//! checked), rather than queued. Not as a lockout: only a right password gets this far, so a
//! distinct answer to two requests sent together would tell right passwords from wrong ones.

use std::time::Duration;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::IdentityError;

/// Wrong codes in a row before the first lockout.
pub const FREE_FAILURES: i32 = 5;
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// What a second-factor attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    Rejected,
    /// Too many wrong codes: the code was not even checked.
    LockedOut {
        retry_after: Duration,
    },
}

/// An attempt in progress: the account's counter is held until [`Hold::finish`].
pub struct Hold {
    tx: Transaction<'static, Postgres>,
    user: Uuid,
    failures: i32,
}

/// How an attempt can start.
pub enum Start {
    Checking(Hold),
    /// Locked out for this long.
    Locked(Duration),
    /// Another attempt for the account is being checked.
    Busy,
}

/// Starts an attempt for `user`.
pub async fn begin(pool: &PgPool, user: Uuid) -> Result<Start, IdentityError> {
    // Outside the transaction: the row exists before anyone waits on it.
    sqlx::query("INSERT INTO second_factor_failures (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(user)
        .execute(pool)
        .await?;
    let mut tx = pool.begin().await?;
    let row: Result<(i32, f64), sqlx::Error> = sqlx::query_as(
        "SELECT failures, coalesce(extract(epoch FROM locked_until - now()), 0)::float8
         FROM second_factor_failures WHERE user_id = $1 FOR UPDATE NOWAIT",
    )
    .bind(user)
    .fetch_one(&mut *tx)
    .await;
    let (failures, locked_for) = match row {
        Ok(row) => row,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => return Ok(Start::Busy),
        Err(e) => return Err(e.into()),
    };
    if locked_for > 0.0 {
        return Ok(Start::Locked(Duration::from_secs_f64(locked_for.ceil())));
    }
    Ok(Start::Checking(Hold { tx, user, failures }))
}

/// How long the second factor of the account signing in as `email` stays locked, if it is. Asked
/// before the password is checked, so that a locked account answers alike whatever password is
/// tried: otherwise the lockout would tell right passwords from wrong ones. That it is locked
/// tells nobody more than whoever locked it knew: the account exists and its password is known.
pub async fn locked_for(pool: &PgPool, email: &str) -> Result<Option<(Uuid, Duration)>, IdentityError> {
    let locked: Option<(Uuid, f64)> = sqlx::query_as(
        "SELECT u.id, extract(epoch FROM f.locked_until - now())::float8
         FROM second_factor_failures f JOIN users u ON u.id = f.user_id
         WHERE lower(u.email) = lower($1) AND f.locked_until > now()",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await?;
    Ok(locked.map(|(user, seconds)| (user, Duration::from_secs_f64(seconds.max(1.0).ceil()))))
}

/// How long the `failures`-th wrong code in a row locks the account (zero before the limit).
pub fn lockout_after(failures: i32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    FIRST_LOCKOUT.saturating_mul(1 << doublings).min(MAX_LOCKOUT)
}

impl Hold {
    /// The connection to check the code on, inside the held attempt.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Records the outcome and releases the counter.
    pub async fn finish(mut self, accepted: bool) -> Result<Attempt, IdentityError> {
        let (failures, lockout) =
            if accepted { (0, Duration::ZERO) } else { (self.failures + 1, lockout_after(self.failures + 1)) };
        sqlx::query(
            "UPDATE second_factor_failures
             SET failures = $2, locked_until = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END
             WHERE user_id = $1",
        )
        .bind(self.user)
        .bind(failures)
        .bind(lockout.as_secs_f64())
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(if accepted { Attempt::Accepted } else { Attempt::Rejected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_after_the_free_failures_and_double_up_to_the_cap() {
        assert_eq!(lockout_after(FREE_FAILURES - 1), Duration::ZERO);
        assert_eq!(lockout_after(FREE_FAILURES), FIRST_LOCKOUT);
        assert_eq!(lockout_after(FREE_FAILURES + 1), FIRST_LOCKOUT * 2);
        assert_eq!(lockout_after(FREE_FAILURES + 3), FIRST_LOCKOUT * 8);
        assert_eq!(lockout_after(FREE_FAILURES + 10), MAX_LOCKOUT);
        assert_eq!(lockout_after(i32::MAX), MAX_LOCKOUT);
    }
}
