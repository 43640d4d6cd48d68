// Talking to the guide's JSON API. Every demo's numbers come from here.

// An answer the demo cannot use. `body` is the whole JSON the server sent (null if
// none), so a demo can read any extra detail an error carries (the parser's `position`).
export class ApiError extends Error {
  constructor(message, field = null, status = 0, body = null) {
    super(message);
    this.field = field;
    this.status = status;
    this.body = body;
  }
}

async function handle(response) {
  let data = null;
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    const message = (data && data.error) || `The server answered ${response.status}. Please try again.`;
    throw new ApiError(message, data && data.field, response.status, data);
  }
  return data;
}

function failed(e) {
  if (e instanceof ApiError || e.name === "AbortError") throw e;
  throw new ApiError("Could not reach the glasslm server. Is it still running?", null, 0);
}

export async function getJSON(url, params = {}, { signal } = {}) {
  const qs = new URLSearchParams(params).toString();
  try {
    return await handle(await fetch(qs ? `${url}?${qs}` : url, { signal }));
  } catch (e) { failed(e); }
}

export async function postJSON(url, body = {}, { signal } = {}) {
  try {
    return await handle(await fetch(url, {
      method: "POST", signal,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }));
  } catch (e) { failed(e); }
}

// Follow a background job's server-sent events. onEvent gets every event
// (its kind in event.type); onEnd gets the final {status, error} once.
export function streamJob(jobId, { onEvent = () => {}, onEnd = () => {} } = {}) {
  const source = new EventSource(`/api/jobs/${jobId}/events`);
  let ended = false;
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "end") {
      ended = true;
      source.close();
      onEnd(event);
    } else {
      onEvent(event);
    }
  };
  source.onerror = () => {
    // EventSource reconnects by itself (resuming after the last event id);
    // give up only if the server is gone for good.
    if (source.readyState === EventSource.CLOSED && !ended) {
      ended = true;
      onEnd({ status: "error", error: "Lost the connection to the server." });
    }
  };
  return {
    close() { ended = true; source.close(); },
    stop() { return postJSON(`/api/jobs/${jobId}/stop`); },
  };
}
