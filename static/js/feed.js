// The feed: one video per screen, autoplaying the one in view (muted, as browsers
// require), swiping with touch (CSS scroll-snap) and moving with the arrow keys.
(() => {
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const video = entry.target.querySelector("video");
      if (!video) continue;
      if (entry.isIntersecting && entry.intersectionRatio > 0.6) {
        video.play().catch(() => {});
      } else {
        video.pause();
      }
    }
  }, { threshold: [0, 0.6, 1] });

  const watch = (root) => root.querySelectorAll(".feed-item:not([data-watched])").forEach((item) => {
    item.dataset.watched = "1";
    observer.observe(item);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const feed = document.getElementById("feed");
    if (!feed) return;
    watch(feed);
    document.body.addEventListener("htmx:afterSwap", () => watch(feed));
    feed.focus({ preventScroll: true });
    document.addEventListener("keydown", (event) => {
      if (!["ArrowDown", "ArrowUp", "j", "k"].includes(event.key)) return;
      if (event.target.closest("input, textarea, select")) return;
      event.preventDefault();
      const down = event.key === "ArrowDown" || event.key === "j";
      feed.scrollBy({ top: (down ? 1 : -1) * feed.clientHeight, behavior: "smooth" });
    });
  });
})();
