// The notifications page: marking one or all as read, and the list following new ones live
// (the server's own rendering of it, fetched as a document).

if (page === "notifications") {
  const list = document.getElementById("notifications");
  const markAll = document.getElementById("mark-all-read");

  list.addEventListener("click", async (event) => {
    const button = event.target.closest(".mark-read");
    if (!button) return;
    const row = button.closest("li");
    const response = await post(`/api/notifications/${row.dataset.id}/read`);
    if (response.ok) {
      row.classList.remove("unread");
      for (const badge of row.querySelectorAll(".badge")) badge.remove();
      button.remove();
      await recount();
      say("Marked as read.");
    } else {
      say(await explain(response), true);
    }
  });

  markAll.addEventListener("click", async () => {
    const response = await post("/api/notifications/read");
    if (response.ok) {
      await refresh();
      await recount();
      say("All marked as read.");
    } else {
      say(await explain(response), true);
    }
  });

  async function recount() {
    const response = await call("GET", "/api/notifications?limit=1");
    if (response.ok) showUnread((await response.json()).unread);
  }

  async function refresh() {
    try {
      const fresh = await fetchDocument("/notifications");
      const items = [...fresh.querySelectorAll("#notifications > li")].map((node) => document.adoptNode(node));
      list.replaceChildren(...items);
      const empty = document.getElementById("no-notifications");
      if (empty) empty.hidden = items.length > 0;
      markAll.hidden = !list.querySelector("li.unread");
    } catch (_) {
      // The list stays as it was; a reload shows the rest.
    }
  }

  document.addEventListener("sting-notification", refresh);
}
