// Shaka Player reads ClearKey from HLS only as KEYFORMAT="identity", which would put the raw
// key behind a URI in every media playlist. Marquee's playlists signal ClearKey the way
// hls.js reads it (KEYFORMAT="org.w3.clearkey", KEYID=0x...), so for Shaka + HLS the page
// asks the session's licence endpoint itself, with the KID the master playlist names, and
// hands the key to Shaka's ClearKey CDM; Shaka is told to ignore the key tags it cannot read.
// (The web client plays DASH wherever MSE exists, so it needs none of this; docs/drm.md.)
// eslint-disable-next-line no-unused-vars
async function shakaHlsClearKeys(masterText, licenceUrl) {
  const found = /#EXT-X-SESSION-KEY:[^\n]*KEYID=0x([0-9a-fA-F]{32})/.exec(masterText);
  if (!found) return null; // a clear title
  const kid = found[1].toLowerCase();
  const bytes = Uint8Array.from(kid.match(/../g), (h) => parseInt(h, 16));
  const b64url = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const answer = await fetch(licenceUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kids: [b64url], type: "temporary" }),
  });
  if (!answer.ok) throw new Error(`licence refused: ${answer.status}`);
  const licence = await answer.json();
  const key = licence.keys.find((k) => k.kid === b64url);
  if (!key) throw new Error("the licence has no key for this title");
  const raw = atob(key.k.replace(/-/g, "+").replace(/_/g, "/"));
  const hex = Array.from(raw, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  return { manifest: { ignoreDrmInfo: true }, drm: { clearKeys: { [kid]: hex } } };
}
