//! Who is asking, and may they: the one authorisation layer every route
//! goes through, session cookies and their expiry, password hashes and
//! login throttling. Plain Rust; the glue supplies time, storage and crypto.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use shared::api::Me;
use shared::user::Role;
use shared::validate::FieldIssue;
use subtle::ConstantTimeEq;

/// Who may call a route. Every route in the table names one, so a route
/// cannot be added without a rule (and `routes::tests` pins the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any active user with a valid session.
    SignedIn,
    /// A signed-in user holding at least one of these roles.
    Roles(&'static [Role]),
}

/// Decides a request: 401 without a (valid) session, 403 without the role.
pub fn authorize(access: Access, user: Option<&Me>) -> Result<(), ApiError> {
    match (access, user) {
        (Access::Public, _) => Ok(()),
        (_, None) => Err(ApiError::Unauthenticated),
        (_, Some(u)) if !u.active => Err(ApiError::Unauthenticated),
        (Access::SignedIn, Some(_)) => Ok(()),
        (Access::Roles(roles), Some(u)) => {
            if u.roles.iter().any(|r| roles.contains(r)) {
                Ok(())
            } else {
                Err(ApiError::Forbidden)
            }
        }
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dg_session";
/// A session ends after this long without a request (12 hours: a working day).
pub const IDLE_SECS: i64 = 12 * 3600;
/// …and this long after sign-in, whatever happens (7 days).
pub const ABSOLUTE_SECS: i64 = 7 * 24 * 3600;
/// `last_seen_at` is written at most this often, not on every request.
pub const TOUCH_EVERY_SECS: i64 = 300;

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Path=/, and
/// Secure whenever the request came over HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> String {
    let mut c = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ABSOLUTE_SECS}"
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let mut c = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then_some(v)
    })
}

/// Bytes in a session token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// The cookie value for fresh random bytes.
pub fn encode_token(bytes: &[u8; TOKEN_BYTES]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keys a session by: the token's SHA-256, in hex. Only
/// well-formed tokens get one, so junk cookies never reach the database.
pub fn session_id(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    if bytes.len() != TOKEN_BYTES {
        return None;
    }
    let digest = Sha256::digest(token.as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Valid; `touch` says to record this request as the last one seen.
    Valid {
        touch: bool,
    },
    Expired,
}

/// Idle and absolute expiry, all in Unix seconds.
pub fn session_state(now: i64, last_seen_at: i64, expires_at: i64) -> SessionState {
    if now >= expires_at || now - last_seen_at >= IDLE_SECS {
        SessionState::Expired
    } else {
        SessionState::Valid {
            touch: now - last_seen_at >= TOUCH_EVERY_SECS,
        }
    }
}

/// PBKDF2-HMAC-SHA256 iterations. 100,000 is the most the Workers runtime's
/// WebCrypto accepts (it refuses higher counts), and the floor issue #4 sets.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;

/// A stored password hash: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    pub fn parse(s: &str) -> Option<PasswordHash> {
        let mut parts = s.split('$');
        if parts.next()? != "pbkdf2-sha256" {
            return None;
        }
        let iterations = parts.next()?.parse().ok()?;
        let salt = STANDARD.decode(parts.next()?).ok()?;
        let hash = STANDARD.decode(parts.next()?).ok()?;
        // The runtime refuses more than PBKDF2_ITERATIONS; a stored hash
        // asking for more (or none) is corrupt, not a reason to fail slowly.
        let sane = (1..=PBKDF2_ITERATIONS).contains(&iterations);
        (sane && parts.next().is_none() && !salt.is_empty() && hash.len() == HASH_BYTES).then_some(
            PasswordHash {
                iterations,
                salt,
                hash,
            },
        )
    }

    pub fn encode(&self) -> String {
        format!(
            "pbkdf2-sha256${}${}${}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.hash)
        )
    }

    /// Compares a freshly derived hash in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.len() == derived.len() && bool::from(self.hash.ct_eq(derived))
    }
}

/// A stand-in hash derived for unknown e-mails, so that an unknown address
/// costs the same time as a wrong password.
pub const DUMMY_SALT: [u8; SALT_BYTES] = *b"dealgate-nobody!";

/// Shortest password accepted for a new account or a reset.
pub const MIN_PASSWORD: usize = 10;
/// Longest: PBKDF2 hashes any length, but nobody types more.
pub const MAX_PASSWORD: usize = 200;

pub fn check_new_password(password: &str) -> Result<(), FieldIssue> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        Err(FieldIssue::new(
            "password",
            "password_too_short",
            &format!("密码至少 {MIN_PASSWORD} 个字符"),
            &format!("A password needs at least {MIN_PASSWORD} characters"),
        ))
    } else if n > MAX_PASSWORD {
        Err(FieldIssue::new(
            "password",
            "password_too_long",
            &format!("密码最多 {MAX_PASSWORD} 个字符"),
            &format!("A password has at most {MAX_PASSWORD} characters"),
        ))
    } else {
        Ok(())
    }
}

/// A user's roles, sorted and once each; `roles_required` when none.
pub fn role_set(issues: &mut Vec<FieldIssue>, mut roles: Vec<Role>) -> Vec<Role> {
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        issues.push(FieldIssue::new(
            "roles",
            "roles_required",
            "至少选择一个角色",
            "Choose at least one role",
        ));
    }
    roles
}

/// E-mails are matched trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Failed sign-ins allowed per e-mail within the window before 429.
pub const MAX_FAILURES_PER_EMAIL: u64 = 5;
/// …and per client address (several people behind one office NAT).
pub const MAX_FAILURES_PER_CLIENT: u64 = 20;
/// The window, in seconds: attempts are counted per fixed window
/// (`rate_counters`, D1), and a throttled caller is told when it ends.
pub const FAILURE_WINDOW_SECS: u64 = 900;

/// Keys of the attempt counters. The e-mail is hashed: the counters hold no addresses.
pub fn failure_keys(email: &str, client: &str) -> (String, String) {
    let digest = Sha256::digest(normalize_email(email).as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    (
        format!("login-fail:email:{hex}"),
        format!("login-fail:client:{client}"),
    )
}

/// Is a sign-in attempt throttled, given the failures counted so far?
pub fn throttled(email_failures: u64, client_failures: u64) -> bool {
    email_failures >= MAX_FAILURES_PER_EMAIL || client_failures >= MAX_FAILURES_PER_CLIENT
}

/// Mutating requests must carry JSON (no form posts: with SameSite=Lax
/// cookies this is the CSRF defence).
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Would this change leave no active admin? `admins` are the active admins now.
pub fn removes_last_admin(admins: &[String], user_id: &str, keeps_admin: bool) -> bool {
    !keeps_admin && admins.len() == 1 && admins[0] == user_id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role], active: bool) -> Me {
        Me {
            id: "u".into(),
            email: "u@example.com".into(),
            name: "U".into(),
            roles: roles.to_vec(),
            active,
            pending_registrations: None,
        }
    }

    #[test]
    fn public_routes_need_nothing_and_others_need_a_session() {
        assert_eq!(authorize(Access::Public, None), Ok(()));
        assert_eq!(
            authorize(Access::SignedIn, None),
            Err(ApiError::Unauthenticated)
        );
        assert_eq!(
            authorize(Access::SignedIn, Some(&user(&[Role::Rep], true))),
            Ok(())
        );
    }

    #[test]
    fn role_routes_need_one_of_the_roles() {
        let admin_only = Access::Roles(&[Role::Admin]);
        assert_eq!(
            authorize(admin_only, Some(&user(&[Role::Manager], true))),
            Err(ApiError::Forbidden)
        );
        assert_eq!(
            authorize(admin_only, Some(&user(&[Role::Rep, Role::Admin], true))),
            Ok(())
        );
        assert_eq!(authorize(admin_only, None), Err(ApiError::Unauthenticated));
    }

    #[test]
    fn a_deactivated_user_is_not_signed_in() {
        assert_eq!(
            authorize(Access::SignedIn, Some(&user(&[Role::Admin], false))),
            Err(ApiError::Unauthenticated)
        );
    }

    #[test]
    fn the_session_cookie_is_httponly_lax_on_root_and_secure_over_https() {
        let c = session_cookie("tok", false);
        assert!(c.starts_with("dg_session=tok;"));
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(!c.contains("Secure"));
        assert!(session_cookie("tok", true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn cookie_values_are_found_among_others() {
        assert_eq!(
            cookie_value("a=1; dg_session=xyz; b=2", "dg_session"),
            Some("xyz")
        );
        assert_eq!(cookie_value("dg_session=", "dg_session"), None);
        assert_eq!(cookie_value("other=1", "dg_session"), None);
    }

    #[test]
    fn only_well_formed_tokens_have_a_session_id_and_it_is_not_the_token() {
        let token = encode_token(&[7u8; TOKEN_BYTES]);
        let id = session_id(&token).unwrap();
        assert_eq!(id.len(), 64);
        assert!(!id.contains(&token));
        assert_eq!(session_id("short"), None);
        assert_eq!(session_id("!!!!"), None);
    }

    #[test]
    fn sessions_expire_when_idle_or_old_and_are_touched_sparingly() {
        let now = 1_000_000;
        assert_eq!(
            session_state(now, now - 10, now + 100),
            SessionState::Valid { touch: false }
        );
        assert_eq!(
            session_state(now, now - TOUCH_EVERY_SECS, now + 100),
            SessionState::Valid { touch: true }
        );
        assert_eq!(
            session_state(now, now - IDLE_SECS, now + 100),
            SessionState::Expired
        );
        assert_eq!(session_state(now, now, now), SessionState::Expired);
    }

    #[test]
    fn password_hashes_round_trip_and_compare_exactly() {
        let h = PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt: vec![1; SALT_BYTES],
            hash: vec![2; HASH_BYTES],
        };
        let parsed = PasswordHash::parse(&h.encode()).unwrap();
        assert_eq!(parsed, h);
        assert!(h.matches(&[2; HASH_BYTES]));
        let mut other = [2; HASH_BYTES];
        other[31] = 3;
        assert!(!h.matches(&other));
        assert!(!h.matches(&[2; 16]));
        assert_eq!(PasswordHash::parse("md5$1$aa$bb"), None);
        assert_eq!(PasswordHash::parse("pbkdf2-sha256$x$AA==$AA=="), None);
        let greedy = PasswordHash {
            iterations: PBKDF2_ITERATIONS + 1,
            ..h.clone()
        };
        assert_eq!(PasswordHash::parse(&greedy.encode()), None);
    }

    #[test]
    fn the_seeded_demo_hashes_parse() {
        let seed = include_str!("../seed/dev.sql");
        let hashes: Vec<_> = seed
            .split('\'')
            .filter(|s| s.starts_with("pbkdf2-sha256$"))
            .collect();
        assert_eq!(hashes.len(), 5);
        for h in hashes {
            let parsed = PasswordHash::parse(h).unwrap();
            assert_eq!(parsed.iterations, PBKDF2_ITERATIONS);
        }
    }

    #[test]
    fn new_passwords_have_a_minimum_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn role_sets_are_sorted_unique_and_never_empty() {
        let mut issues = Vec::new();
        assert_eq!(
            role_set(&mut issues, vec![Role::Admin, Role::Rep, Role::Admin]),
            vec![Role::Rep, Role::Admin]
        );
        assert!(issues.is_empty());
        assert!(role_set(&mut issues, vec![]).is_empty());
        assert_eq!(issues[0].code, "roles_required");
    }

    #[test]
    fn throttling_starts_at_the_limits() {
        assert!(!throttled(MAX_FAILURES_PER_EMAIL - 1, 0));
        assert!(throttled(MAX_FAILURES_PER_EMAIL, 0));
        assert!(throttled(0, MAX_FAILURES_PER_CLIENT));
        let (e1, _) = failure_keys(" Rep@Example.com ", "1.2.3.4");
        let (e2, c) = failure_keys("rep@example.com", "1.2.3.4");
        assert_eq!(e1, e2);
        assert!(!e1.contains("example"));
        assert_eq!(c, "login-fail:client:1.2.3.4");
    }

    #[test]
    fn only_json_bodies_pass_the_content_type_check() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("application/x-www-form-urlencoded")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }

    #[test]
    fn the_last_active_admin_cannot_lose_the_role() {
        let admins = vec!["u_admin".to_string()];
        assert!(removes_last_admin(&admins, "u_admin", false));
        assert!(!removes_last_admin(&admins, "u_admin", true));
        assert!(!removes_last_admin(&admins, "u_other", false));
        let two = vec!["a".to_string(), "b".to_string()];
        assert!(!removes_last_admin(&two, "a", false));
    }
}
