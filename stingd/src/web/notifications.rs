//! The notifications page: what concerns me, newest first, unread ones marked; reading and
//! marking go through the API, and the list follows new ones live.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::page::{Person, Section, Shell, render, when};
use crate::http::{ApiError, AppState};
use crate::notifications;

/// How many the page shows (the API pages through the rest).
const SHOWN: i64 = 50;

struct ShownNotification {
    id: String,
    title: String,
    body: String,
    link: Option<String>,
    when: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage<'a> {
    shell: Shell<'a>,
    notifications: Vec<ShownNotification>,
    unread: i64,
}

/// `GET /notifications`.
pub async fn page(State(state): State<AppState>, person: Person) -> Response {
    let shell = Shell::new(&state, "Notifications", "notifications").for_person(&person, Section::Notifications);
    let data = async {
        let pool = &state.identity()?.pool;
        let user = person.reader.user;
        let database = |e| ApiError::from(crate::identity::IdentityError::Database(e));
        let listed = notifications::list(pool, user, None, SHOWN).await.map_err(database)?;
        let unread = notifications::unread(pool, user).await.map_err(database)?;
        Ok::<_, ApiError>((listed, unread))
    };
    match data.await {
        Ok((listed, unread)) => {
            let notifications = listed
                .into_iter()
                .map(|n| ShownNotification {
                    id: n.id.to_string(),
                    title: n.title,
                    body: n.body,
                    link: n.link,
                    when: when(n.created_at),
                    read: n.read,
                })
                .collect();
            render(&NotificationsPage { shell, notifications, unread })
        }
        Err(error) => shell.error(error),
    }
}
