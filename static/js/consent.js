// The likeness consent recorder (templates/licensing/_consent.html): records the person
// reading the phrase with the camera and microphone (getUserMedia + MediaRecorder),
// shows it back, and sends it with the phrase's id to the API, showing the upload's
// progress. Without JavaScript, or without a camera, the file form below it is used.
(() => {
  "use strict";

  // What MediaRecorder should produce, in order of preference (the server keeps WebM
  // as it is, and MP4 from browsers that only record that).
  const TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"];
  const MIN_SECONDS = 2;

  function csrfToken() {
    const input = document.querySelector("#consent input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function countdown(element) {
    const expires = Date.parse(element.dataset.expiresAt);
    const tick = () => {
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      element.textContent = left > 0
        ? ` (${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left)`
        : " (expired: reload the page for a new phrase)";
      if (left > 0) window.setTimeout(tick, 1000);
      else document.dispatchEvent(new CustomEvent("consent:expired"));
    };
    tick();
  }

  function setUp(root) {
    const preview = root.querySelector("[data-preview]");
    const recordButton = root.querySelector("[data-record]");
    const stopButton = root.querySelector("[data-stop]");
    const sendButton = root.querySelector("[data-send]");
    const progress = root.querySelector("[data-progress]");
    const status = root.querySelector("[data-status]");
    const maxSeconds = Number(root.dataset.maxSeconds) || 30;
    const type = TYPES.find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t));
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !type) return;
    root.hidden = false;

    let recorder = null;
    let stream = null;
    let recording = null;
    let stopTimer = null;
    let ticker = null;

    document.addEventListener("consent:expired", () => {
      recordButton.disabled = true;
      sendButton.disabled = true;
    });

    function stopTracks() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }

    recordButton.addEventListener("click", async () => {
      status.textContent = "";
      sendButton.hidden = true;
      recording = null;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
          audio: true,
        });
      } catch (error) {
        status.textContent = "We could not use your camera and microphone: allow them, or upload a video file below.";
        return;
      }
      preview.removeAttribute("src");
      preview.controls = false;
      preview.muted = true;
      preview.srcObject = stream;
      preview.play();
      const chunks = [];
      recorder = new MediaRecorder(stream, { mimeType: type });
      recorder.addEventListener("dataavailable", (event) => {
        if (event.data.size) chunks.push(event.data);
      });
      recorder.addEventListener("stop", () => {
        window.clearTimeout(stopTimer);
        window.clearInterval(ticker);
        stopTracks();
        recording = new Blob(chunks, { type: type.split(";")[0] });
        preview.srcObject = null;
        preview.src = URL.createObjectURL(recording);
        preview.muted = false;
        preview.controls = true;
        recordButton.disabled = false;
        recordButton.textContent = "Record again";
        stopButton.disabled = true;
        sendButton.hidden = false;
        status.textContent = "Watch it back, then send it, or record again.";
      });
      recorder.start(1000);
      const started = Date.now();
      recordButton.disabled = true;
      stopButton.disabled = true;
      ticker = window.setInterval(() => {
        const seconds = Math.floor((Date.now() - started) / 1000);
        stopButton.disabled = seconds < MIN_SECONDS;
        status.textContent = `Recording: ${seconds} s of at most ${maxSeconds} s. Read the phrase, then stop.`;
      }, 250);
      stopTimer = window.setTimeout(() => recorder.stop(), maxSeconds * 1000);
    });

    stopButton.addEventListener("click", () => {
      if (recorder && recorder.state === "recording") recorder.stop();
    });

    sendButton.addEventListener("click", () => {
      if (!recording) return;
      const body = new FormData();
      body.append("challenge_id", root.dataset.challengeId);
      body.append("video", recording, type.startsWith("video/mp4") ? "consent.mp4" : "consent.webm");
      // XMLHttpRequest rather than fetch: it reports the upload's progress.
      const request = new XMLHttpRequest();
      request.open("POST", root.dataset.apiUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken());
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
      });
      request.addEventListener("load", () => {
        progress.hidden = true;
        if (request.status === 201) {
          status.textContent = "Sent: staff will review it shortly.";
          window.location.replace(`${root.dataset.doneUrl}?sent=1#consent`);
          return;
        }
        let detail = "The video could not be sent.";
        try {
          detail = JSON.parse(request.responseText).detail || detail;
        } catch (error) { /* not JSON: keep the general sentence */ }
        status.textContent = `${detail} Reload the page for a new phrase.`;
        sendButton.hidden = true;
        recordButton.disabled = true;
      });
      request.addEventListener("error", () => {
        progress.hidden = true;
        status.textContent = "The connection failed while sending: reload the page for a new phrase and try again.";
      });
      progress.value = 0;
      progress.hidden = false;
      sendButton.hidden = true;
      recordButton.disabled = true;
      status.textContent = "Sending…";
      request.send(body);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-countdown]").forEach(countdown);
    document.querySelectorAll("[data-consent-recorder]").forEach(setUp);
  });
})();
