// The feed: one video per screen, autoplaying the one in view (muted, as browsers
// require), swiping with touch (CSS scroll-snap) and moving with the arrow keys. A tap
// on a video (or P, or the space bar) pauses or plays it; the sound button unmutes
// every video. On the feed and the work page, Share copies the work's link; a refused
// like or follow says why.
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

  let muted = true;

  const showSound = () => document.querySelectorAll("[data-sound]").forEach((button) => {
    button.textContent = muted ? "Unmute" : "Mute";
    button.setAttribute("aria-pressed", String(!muted));
  });

  const watch = (root) => root.querySelectorAll(".feed-item:not([data-watched])").forEach((item) => {
    item.dataset.watched = "1";
    const video = item.querySelector("video");
    const stage = item.querySelector(".feed-stage");
    // With script the video is tapped, not driven by the browser's controls.
    video.removeAttribute("controls");
    video.muted = muted;
    video.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
    video.addEventListener("pause", () => stage.classList.add("paused"));
    video.addEventListener("play", () => stage.classList.remove("paused"));
    observer.observe(item);
  });

  const say = (text) => {
    const toast = document.getElementById("toast");
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.hidden = true; }, 4000);
  };

  document.addEventListener("click", (event) => {
    const sound = event.target.closest("[data-sound]");
    if (sound) {
      muted = !muted;
      document.querySelectorAll(".feed-item video").forEach((video) => { video.muted = muted; });
      showSound();
      return;
    }
    const share = event.target.closest("[data-share]");
    if (!share || !navigator.clipboard) return;
    event.preventDefault();
    const status = share.closest(".feed-stage, section")?.querySelector("[data-share-status]");
    navigator.clipboard.writeText(share.dataset.share).then(
      () => { if (status) status.textContent = "Link copied"; },
      () => { if (status) status.textContent = `Copy this link: ${share.dataset.share}`; },
    );
    if (status) setTimeout(() => { status.textContent = ""; }, 3000);
  });

  // A like or follow refused (the reason comes back as text) is said, not swallowed.
  document.addEventListener("htmx:responseError", (event) => {
    const text = event.detail.xhr?.responseText || "";
    if (text && text.length < 300 && !text.trimStart().startsWith("<")) say(text);
    else say("That did not work. Reload the page and try again.");
  });

  document.addEventListener("DOMContentLoaded", () => {
    const feed = document.getElementById("feed");
    if (!feed) return;
    watch(feed);
    document.body.addEventListener("htmx:afterSwap", () => watch(feed));
    feed.focus({ preventScroll: true });
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea, select")) return;
      if ((event.key === "p" || event.key === " ") && !event.target.closest("button, a")) {
        // The keyboard's tap: pause or play the video on screen.
        const items = feed.querySelectorAll(".feed-item");
        const video = items[Math.round(feed.scrollTop / feed.clientHeight)]?.querySelector("video");
        if (!video) return;
        event.preventDefault();
        if (video.paused) video.play().catch(() => {}); else video.pause();
        return;
      }
      if (!["ArrowDown", "ArrowUp", "j", "k"].includes(event.key)) return;
      event.preventDefault();
      const down = event.key === "ArrowDown" || event.key === "j";
      feed.scrollBy({ top: (down ? 1 : -1) * feed.clientHeight, behavior: "smooth" });
    });
  });
})();
